//! The shape of the demo organization by its kind: a 町 (志免町's chart), a 村 (the same
//! chart, its heads named for a 村), a 市 (more 部, and its 実施機関 — 教育委員会, 選挙管理
//! 委員会, 消防, 公営企業 — as departments where the profile has those bodies) and an
//! 一部事務組合 or 広域連合 (a 事務局 of tens of staff). `Chart::for_profile` chooses.

use mamori_policy::Profile;

use crate::data::{self, bureau, office, sec, sys, Bureau, Facility, SystemSpec, GOV_CLOUD, SOMU, VENDOR_A, VENDOR_B, VENDOR_C};
use crate::DemoScale;

/// Where a post that holds a role sits: a post by name (the first person holding it), or the
/// head of a department by its code.
#[derive(Debug, Clone, Copy)]
pub enum Seat {
    Post(&'static str),
    HeadOf(&'static str),
}

pub struct Chart {
    /// The heads above the 部 (町長, 副町長, 教育長 …): (post, code of the department they
    /// sit in). A head whose department the profile's bodies leave out is left out too.
    pub top: &'static [(&'static str, &'static str)],
    /// Who is the CISO in the standard model: the deputy head (副町長, 副市長), or the
    /// 一部事務組合's 事務局長.
    pub ciso: Seat,
    pub bureaus: &'static [Bureau],
    pub facilities: &'static [Facility],
    /// The first facilities, always created when the target allows: (district, facility index).
    pub base_facilities: &'static [(&'static str, usize)],
    /// Place names for further facilities.
    pub districts: &'static [&'static str],
    pub posts: &'static [(&'static str, i64)],
    pub systems: &'static [&'static [SystemSpec]],
    /// 課 whose staff are often 技師.
    pub technical: &'static [&'static str],
    /// The 課 whose 管理者 and one staff member get the demo's logins, and the logins'
    /// prefix (`jumin` → `jumin-kacho`, `jumin-staff`).
    pub window: (&'static str, &'static str),
    /// The first part of the mail domain (`town` → `town.shime.lg.jp`); empty for a 組合.
    pub mail: &'static str,
    /// Where the whole staff meets (the training session's place).
    pub hall: &'static str,
    /// Words of the 町's material to say otherwise here (`町税` → `市税`).
    pub renames: &'static [(&'static str, &'static str)],
    /// The scale of `mamori demo`.
    pub scale: DemoScale,
}

impl Chart {
    /// The chart for the profile's kind of organization: 市 (and 区), 村, 組合 and 連合, else a 町.
    pub fn for_profile(profile: &Profile) -> &'static Chart {
        let kind = profile.organization.kind.as_str();
        if kind.contains("組合") || kind.contains("連合") {
            if profile.organization.name.contains("介護") {
                &UNION_KAIGO
            } else {
                &UNION
            }
        } else if kind.contains('市') || kind.contains('区') {
            &CITY
        } else if kind.contains('村') {
            &VILLAGE
        } else {
            &TOWN
        }
    }

    pub fn systems(&self) -> impl Iterator<Item = &'static SystemSpec> {
        self.systems.iter().flat_map(|s| s.iter())
    }

    /// `text` in this organization's words.
    pub fn say(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (from, to) in self.renames {
            if out.contains(from) {
                out = out.replace(from, to);
            }
        }
        out
    }
}

/// Whether the profile has a body (実施機関) of this id; `None` is always there.
pub fn has_body(profile: &Profile, body: Option<&str>) -> bool {
    body.is_none_or(|b| profile.bodies.iter().any(|x| x.id.as_str() == b))
}

pub static TOWN: Chart = TOWN_CHART;

pub static VILLAGE: Chart = Chart {
    top: &[("村長", SOMU), ("副村長", SOMU), ("教育長", "04")],
    ciso: Seat::Post("副村長"),
    posts: &[
        ("村長", 100),
        ("副村長", 90),
        ("教育長", 85),
        ("部長", 70),
        ("課長", 60),
        ("事務局長", 60),
        ("校長", 55),
        ("課長補佐", 50),
        ("園長", 50),
        ("館長", 45),
        ("所長", 45),
        ("係長", 40),
        ("主査", 30),
        ("主任主事", 25),
        ("主事", 20),
        ("技師", 20),
        ("保育士", 20),
        ("学校事務職員", 20),
        ("会計年度任用職員", 10),
    ],
    mail: "vill",
    renames: &[("町ホームページ", "村ホームページ"), ("町税", "村税"), ("広報しめ", "広報紙")],
    scale: DemoScale { departments_target: 26, staff: 150, assets: 1_000, systems: 25 },
    ..TOWN_CHART
};

/// 志免町's shape. A 村 differs from it in a few fields.
const TOWN_CHART: Chart = Chart {
    top: &[("町長", SOMU), ("副町長", SOMU), ("教育長", "04")],
    ciso: Seat::Post("副町長"),
    bureaus: data::TOWN_BUREAUS,
    facilities: data::FACILITIES,
    base_facilities: data::BASE_FACILITIES,
    districts: data::DISTRICTS,
    posts: data::POSTS,
    systems: &[data::SYSTEMS],
    technical: &["0301", "0302", "0303"],
    window: (data::JUMIN, "jumin"),
    mail: "town",
    hall: "役場",
    renames: &[],
    scale: DemoScale { departments_target: 30, staff: 300, assets: 2_000, systems: 25 },
};

const CITY_BUREAUS: &[Bureau] = &[
    bureau(
        "01",
        "総務企画部",
        &[
            // 情報係 must stay third: its code is `data::JOHO`.
            sec(SOMU, "総務課", &["総務係", "人事係", "情報係"], 18),
            sec("0102", "経営企画課", &["企画係", "広報広聴係"], 10),
            sec(data::ZAISEI, "財政課", &["財政係", "管財係"], 8),
            sec("0103", "税務課", &["市民税係", "資産税係", "諸税係"], 16),
            sec("0104", "収納課", &["収納係", "滞納整理係"], 9),
            sec("0105", "危機管理課", &["防災係", "交通安全係"], 6),
        ],
    ),
    bureau(
        "02",
        "市民福祉部",
        &[
            sec(data::JUMIN, "市民課", &["市民係", "戸籍係", "国保年金係"], 18),
            sec("0202", "社会福祉課", &["障がい福祉係", "生活福祉係", "介護保険係", "高齢者支援係"], 16),
            sec(data::KOSODATE, "子育て支援課", &["子育て支援係", "保育係"], 12),
            sec("0204", "健康推進課", &["健康づくり係", "予防係"], 10),
            sec("0205", "生活環境課", &["環境衛生係", "環境保全係"], 7),
        ],
    ),
    bureau(
        "03",
        "建設部",
        &[sec("0301", "都市計画課", &["都市計画係", "建築係"], 10), sec(data::DOURO, "道路河川課", &["道路係", "河川係"], 9)],
    ),
    bureau(
        "09",
        "産業経済部",
        &[sec("0303", "農林振興課", &["農政係", "林務係"], 6), sec(data::SHOKO, "商工観光課", &["商工係", "観光係"], 6)],
    ),
    Bureau {
        code: "11",
        name: "上下水道局",
        head: "局長",
        body: Some("public_enterprise_manager"),
        sections: &[sec("0302", "経営課", &["料金係", "総務係"], 7), sec(data::KOMU, "工務課", &["上水道係", "下水道係"], 7)],
    },
    Bureau {
        code: "04",
        name: "教育委員会",
        head: "教育次長",
        body: Some("board_of_education"),
        sections: &[
            sec(data::KYOIKU_SOMU, "教育総務課", &["総務係", "施設係"], 6),
            sec(data::GAKKO, "学校教育課", &["学務係", "指導係"], 8),
            sec(data::SHOGAI, "生涯学習課", &["生涯学習係", "スポーツ振興係", "文化財係"], 8),
        ],
    },
    Bureau {
        code: "10",
        name: "消防本部",
        head: "消防長",
        body: Some("fire_chief"),
        sections: &[
            sec(data::SHOBO_SOMU, "消防総務課", &["総務係", "予防係"], 8),
            sec(data::KEIBO, "警防課", &["警防係", "救急係"], 8),
            sec(data::SHIREI, "通信指令課", &[], 5),
        ],
    },
    bureau(
        "",
        "",
        &[
            sec("0501", "会計課", &["会計係"], 5),
            office("0601", "議会事務局", &["議事係", "調査係"], 5, "assembly"),
            office("0701", "監査委員事務局", &[], 3, "audit_commissioners"),
            office("0801", "農業委員会事務局", &[], 3, "agricultural_commission"),
            office(data::SENKYO, "選挙管理委員会事務局", &[], 2, "election_commission"),
        ],
    ),
];

const CITY_FACILITIES: &[Facility] = &[
    ("school", "小学校", data::GAKKO, "校長"),
    ("school", "中学校", data::GAKKO, "校長"),
    ("nursery", "保育所", data::KOSODATE, "所長"),
    ("facility", "公民館", data::SHOGAI, "館長"),
    ("facility", "消防署", data::KEIBO, "署長"),
    ("facility", "地域局", data::JUMIN, "局長"),
];

const CITY_SYSTEMS: &[SystemSpec] = &[
    sys("選挙システム", "選挙人名簿の調製、期日前投票・不在者投票の管理", "mynumber", data::SENKYO, true, "", VENDOR_A),
    sys("消防指令システム", "119番通報の受付、出動指令、救急活動の記録", "lgwan", data::SHIREI, true, "", VENDOR_B),
    sys("道路台帳管理システム", "道路台帳・占用許可の管理", "lgwan", data::DOURO, true, "", VENDOR_B),
];

pub static CITY: Chart = Chart {
    top: &[("市長", SOMU), ("副市長", SOMU), ("教育長", "04")],
    ciso: Seat::Post("副市長"),
    bureaus: CITY_BUREAUS,
    facilities: CITY_FACILITIES,
    base_facilities: &[
        ("横手", 0),
        ("増田", 0),
        ("平鹿", 0),
        ("十文字", 0),
        ("横手", 1),
        ("増田", 1),
        ("横手", 2),
        ("平鹿", 2),
        ("横手", 4),
    ],
    districts: &[
        "横手",
        "増田",
        "平鹿",
        "雄物川",
        "大森",
        "十文字",
        "山内",
        "大雄",
        "朝倉",
        "旭",
        "境町",
        "金沢",
        "醍醐",
        "浅舞",
        "角間川",
        "睦合",
    ],
    posts: &[
        ("市長", 100),
        ("副市長", 90),
        ("教育長", 85),
        ("消防長", 75),
        ("部長", 70),
        ("局長", 70),
        ("教育次長", 70),
        ("課長", 60),
        ("事務局長", 60),
        ("署長", 55),
        ("校長", 55),
        ("課長補佐", 50),
        ("所長", 50),
        ("館長", 45),
        ("係長", 40),
        ("主査", 30),
        ("主任主事", 25),
        ("主事", 20),
        ("技師", 20),
        ("消防士", 20),
        ("保育士", 20),
        ("学校事務職員", 20),
        ("会計年度任用職員", 10),
    ],
    systems: &[data::SYSTEMS, CITY_SYSTEMS],
    technical: &["0301", "0302", data::DOURO, data::KOMU, data::KEIBO, data::SHIREI],
    window: (data::JUMIN, "shimin"),
    mail: "city",
    hall: "市役所",
    renames: &[("町ホームページ", "市ホームページ"), ("町税", "市税"), ("広報しめ", "市報")],
    scale: DemoScale { departments_target: 48, staff: 600, assets: 3_000, systems: 30 },
};

const UNION_KAIGO_BUREAUS: &[Bureau] = &[
    Bureau {
        code: "01",
        name: "事務局",
        head: "事務局長",
        body: None,
        sections: &[
            // 情報係 must stay third: its code is `data::JOHO`.
            sec(SOMU, "総務課", &["総務係", "財政係", "情報係"], 6),
            sec(data::KAIGO, "介護保険課", &["資格賦課係", "認定審査係", "給付係"], 10),
        ],
    },
    bureau("", "", &[office("0701", "監査委員事務局", &[], 1, "audit_commissioners")]),
];

const UNION_BUREAUS: &[Bureau] = &[
    Bureau {
        code: "01",
        name: "事務局",
        head: "事務局長",
        body: None,
        sections: &[
            // 情報係 must stay third: its code is `data::JOHO`.
            sec(SOMU, "総務課", &["総務係", "財政係", "情報係"], 6),
            sec(data::GYOMU, "業務課", &["業務係", "施設管理係"], 8),
        ],
    },
    bureau("", "", &[office("0701", "監査委員事務局", &[], 1, "audit_commissioners")]),
];

const UNION_POSTS: &[(&str, i64)] = &[
    ("事務局長", 90),
    ("事務局次長", 70),
    ("課長", 60),
    ("課長補佐", 50),
    ("係長", 40),
    ("主査", 30),
    ("主任主事", 25),
    ("主事", 20),
    ("技師", 20),
    ("会計年度任用職員", 10),
];

/// The systems every 組合 has: the 事務局's own, all kept by 総務課.
const UNION_COMMON_SYSTEMS: &[SystemSpec] = &[
    sys("財務会計システム", "予算・執行・決算、構成市町村の負担金", "lgwan", SOMU, true, "", VENDOR_C),
    sys("人事給与システム", "人事記録・給与計算・勤怠", "lgwan", SOMU, true, "", VENDOR_C),
    sys("文書管理システム", "文書の収受・起案・決裁・保存", "lgwan", SOMU, true, "", VENDOR_C),
    sys("グループウェア", "掲示板・スケジュール・施設予約", "lgwan", SOMU, true, "LGWAN-ASPグループウェアサービス", VENDOR_C),
    sys("LGWANメール", "LGWAN接続系の電子メール", "lgwan", SOMU, true, "", VENDOR_C),
    sys("ファイルサーバ", "課ごとの共有フォルダ", "lgwan", SOMU, true, "", VENDOR_C),
    sys(
        "ホームページ管理システム",
        "ホームページのコンテンツ管理（CMS）",
        "internet",
        SOMU,
        true,
        "自治体情報セキュリティクラウド",
        VENDOR_C,
    ),
    sys(
        "インターネットメール",
        "インターネット接続系の電子メール（LGWAN接続系へは無害化して転送）",
        "internet",
        SOMU,
        true,
        "自治体情報セキュリティクラウド",
        VENDOR_C,
    ),
];

const UNION_KAIGO_SYSTEMS: &[SystemSpec] = &[
    sys("介護保険システム", "介護保険の資格・賦課・認定・給付", "mynumber", data::KAIGO, true, GOV_CLOUD, VENDOR_B),
    sys("介護認定審査会支援システム", "認定審査会の資料作成・審査結果の記録", "mynumber", data::KAIGO, true, "", VENDOR_B),
];

const UNION_WORK_SYSTEMS: &[SystemSpec] =
    &[sys("共同処理業務システム", "構成市町村から受託した事務の台帳・処理", "mynumber", data::GYOMU, true, "", VENDOR_A)];

pub static UNION_KAIGO: Chart = UNION_KAIGO_CHART;

pub static UNION: Chart = Chart {
    bureaus: UNION_BUREAUS,
    systems: &[UNION_WORK_SYSTEMS, UNION_COMMON_SYSTEMS],
    window: (data::GYOMU, "gyomu"),
    scale: DemoScale { departments_target: 12, staff: 40, assets: 400, systems: 9 },
    ..UNION_KAIGO_CHART
};

/// A 介護保険の一部事務組合 (南薩). Another 組合 differs in its 課 of the joint work.
const UNION_KAIGO_CHART: Chart = Chart {
    top: &[],
    ciso: Seat::HeadOf("01"),
    bureaus: UNION_KAIGO_BUREAUS,
    facilities: &[],
    base_facilities: &[],
    districts: &[],
    posts: UNION_POSTS,
    systems: &[UNION_KAIGO_SYSTEMS, UNION_COMMON_SYSTEMS],
    technical: &[],
    window: (data::KAIGO, "kaigo"),
    mail: "",
    hall: "事務局",
    renames: &[("町ホームページ", "ホームページ"), ("広報しめ", "広報紙")],
    scale: DemoScale { departments_target: 12, staff: 40, assets: 400, systems: 10 },
};

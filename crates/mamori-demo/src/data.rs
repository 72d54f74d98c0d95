//! The fixed material the demo town is made of: names, the organization chart, posts,
//! systems and the subjects of information assets. Everything here is fictional but shaped
//! like a small Fukuoka town (志免町); `charts.rs` holds the 市 and the 一部事務組合, which
//! reuse the 課 codes below where they have the same 課 so that the same asset subjects and
//! systems belong to them.

/// Surnames common in northern Kyushu: (kanji, katakana, romaji).
pub const SURNAMES: &[(&str, &str, &str)] = &[
    ("田中", "タナカ", "tanaka"),
    ("中村", "ナカムラ", "nakamura"),
    ("古賀", "コガ", "koga"),
    ("井上", "イノウエ", "inoue"),
    ("松尾", "マツオ", "matsuo"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山本", "ヤマモト", "yamamoto"),
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("小林", "コバヤシ", "kobayashi"),
    ("林", "ハヤシ", "hayashi"),
    ("森", "モリ", "mori"),
    ("原田", "ハラダ", "harada"),
    ("松本", "マツモト", "matsumoto"),
    ("木村", "キムラ", "kimura"),
    ("清水", "シミズ", "shimizu"),
    ("石橋", "イシバシ", "ishibashi"),
    ("末永", "スエナガ", "suenaga"),
    ("江口", "エグチ", "eguchi"),
    ("大塚", "オオツカ", "otsuka"),
    ("野田", "ノダ", "noda"),
    ("柴田", "シバタ", "shibata"),
    ("藤井", "フジイ", "fujii"),
    ("藤野", "フジノ", "fujino"),
    ("梶原", "カジワラ", "kajiwara"),
    ("平川", "ヒラカワ", "hirakawa"),
    ("西村", "ニシムラ", "nishimura"),
    ("宮崎", "ミヤザキ", "miyazaki"),
    ("永田", "ナガタ", "nagata"),
    ("坂本", "サカモト", "sakamoto"),
    ("久保", "クボ", "kubo"),
    ("堀", "ホリ", "hori"),
    ("安部", "アベ", "abe"),
    ("有吉", "アリヨシ", "ariyoshi"),
    ("重松", "シゲマツ", "shigematsu"),
    ("白石", "シライシ", "shiraishi"),
    ("緒方", "オガタ", "ogata"),
    ("今村", "イマムラ", "imamura"),
    ("上野", "ウエノ", "ueno"),
    ("内田", "ウチダ", "uchida"),
    ("熊谷", "クマガイ", "kumagai"),
    ("樋口", "ヒグチ", "higuchi"),
    ("前田", "マエダ", "maeda"),
    ("村上", "ムラカミ", "murakami"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
    ("福田", "フクダ", "fukuda"),
    ("荒木", "アラキ", "araki"),
    ("酒井", "サカイ", "sakai"),
    ("竹下", "タケシタ", "takeshita"),
    ("岩崎", "イワサキ", "iwasaki"),
    ("下川", "シモカワ", "shimokawa"),
    ("安河内", "ヤスコウチ", "yasukochi"),
    ("吉武", "ヨシタケ", "yoshitake"),
    ("花田", "ハナダ", "hanada"),
    ("權藤", "ゴンドウ", "gondo"),
];

/// Given names: (kanji, katakana, romaji).
pub const GIVEN_NAMES: &[(&str, &str, &str)] = &[
    ("太郎", "タロウ", "taro"),
    ("健一", "ケンイチ", "kenichi"),
    ("誠", "マコト", "makoto"),
    ("浩二", "コウジ", "koji"),
    ("大輔", "ダイスケ", "daisuke"),
    ("翔太", "ショウタ", "shota"),
    ("拓也", "タクヤ", "takuya"),
    ("和也", "カズヤ", "kazuya"),
    ("直樹", "ナオキ", "naoki"),
    ("隆", "タカシ", "takashi"),
    ("修", "オサム", "osamu"),
    ("健太", "ケンタ", "kenta"),
    ("亮", "リョウ", "ryo"),
    ("悠斗", "ユウト", "yuto"),
    ("蓮", "レン", "ren"),
    ("博之", "ヒロユキ", "hiroyuki"),
    ("正人", "マサト", "masato"),
    ("秀樹", "ヒデキ", "hideki"),
    ("優一", "ユウイチ", "yuichi"),
    ("俊介", "シュンスケ", "shunsuke"),
    ("花子", "ハナコ", "hanako"),
    ("陽子", "ヨウコ", "yoko"),
    ("恵美", "エミ", "emi"),
    ("由美子", "ユミコ", "yumiko"),
    ("美咲", "ミサキ", "misaki"),
    ("彩", "アヤ", "aya"),
    ("智子", "トモコ", "tomoko"),
    ("裕子", "ユウコ", "yuko"),
    ("真由美", "マユミ", "mayumi"),
    ("愛", "アイ", "ai"),
    ("舞", "マイ", "mai"),
    ("千尋", "チヒロ", "chihiro"),
    ("奈々", "ナナ", "nana"),
    ("結衣", "ユイ", "yui"),
    ("さくら", "サクラ", "sakura"),
    ("久美子", "クミコ", "kumiko"),
    ("明美", "アケミ", "akemi"),
    ("直美", "ナオミ", "naomi"),
    ("麻衣", "マイ", "mai"),
    ("香織", "カオリ", "kaori"),
];

/// Place names used for schools, nurseries and other facilities, and for asset variants.
pub const DISTRICTS: &[&str] = &[
    "志免",
    "志免中央",
    "志免東",
    "志免南",
    "別府",
    "別府北",
    "別府西",
    "桜丘",
    "田富",
    "吉原",
    "南里",
    "松ケ丘",
    "片峰",
    "片峰中央",
    "東公園台",
    "王子",
    "御手洗",
    "坂瀬",
    "亀山",
    "向ケ丘",
    "大倉",
    "石橋台",
    "平和",
    "東町",
    "西町",
    "北町",
    "本町",
    "新町",
    "旭ケ丘",
    "若宮",
];

/// A 部 and the 課 under it. `code` of a 課 is also the key asset subjects and systems use.
pub struct Bureau {
    pub code: &'static str,
    pub name: &'static str,
    /// The head's post (部長, 消防長 …).
    pub head: &'static str,
    /// The profile's body (実施機関) this 部 serves: it is made only when the profile has
    /// that body (`board_of_education` for the 教育委員会 …).
    pub body: Option<&'static str>,
    pub sections: &'static [Section],
}

pub struct Section {
    pub code: &'static str,
    pub name: &'static str,
    /// The head's post: 課長, or 事務局長 for the secretariats.
    pub head: &'static str,
    pub units: &'static [&'static str],
    /// Relative share of staff and assets.
    pub weight: u32,
    /// As for [`Bureau::body`]: the 議会事務局 exists where the profile has an `assembly`.
    pub body: Option<&'static str>,
}

pub const fn sec(code: &'static str, name: &'static str, units: &'static [&'static str], weight: u32) -> Section {
    Section { code, name, head: "課長", units, weight, body: None }
}

/// The secretariat of a body (議会事務局, 監査委員事務局 …), made only when the profile has
/// the body.
pub const fn office(code: &'static str, name: &'static str, units: &'static [&'static str], weight: u32, body: &'static str) -> Section {
    Section { code, name, head: "事務局長", units, weight, body: Some(body) }
}

pub const fn bureau(code: &'static str, name: &'static str, sections: &'static [Section]) -> Bureau {
    Bureau { code, name, head: "部長", body: None, sections }
}

pub const SOMU: &str = "0101";
pub const JOHO: &str = "010103";
pub const JUMIN: &str = "0201";
pub const KOSODATE: &str = "0203";
pub const GAKKO: &str = "0401";
pub const SHOGAI: &str = "0402";
// 課 of the 市 and the 一部事務組合 only (`charts.rs`).
pub const ZAISEI: &str = "0106";
pub const DOURO: &str = "0306";
pub const SHOKO: &str = "0904";
pub const KYOIKU_SOMU: &str = "0403";
pub const SENKYO: &str = "0901";
pub const SHOBO_SOMU: &str = "1001";
pub const KEIBO: &str = "1002";
pub const SHIREI: &str = "1003";
pub const KOMU: &str = "1102";
pub const KAIGO: &str = "0210";
pub const GYOMU: &str = "0220";

/// The 町's organization chart. 部 with an empty name stand for 課 directly under the mayor.
pub const TOWN_BUREAUS: &[Bureau] = &[
    bureau(
        "01",
        "総務部",
        &[
            // 情報係 must stay third: its code is [`JOHO`].
            sec(SOMU, "総務課", &["総務係", "人事係", "情報係"], 14),
            sec("0102", "企画政策課", &["企画係", "財政係", "広報係"], 10),
            sec("0103", "税務課", &["住民税係", "資産税係"], 12),
            sec("0104", "収納課", &["収納係", "滞納整理係"], 7),
            sec("0105", "防災安全課", &["防災係", "交通安全係"], 6),
        ],
    ),
    bureau(
        "02",
        "住民福祉部",
        &[
            sec(JUMIN, "住民課", &["住民係", "戸籍係", "国保年金係"], 14),
            sec("0202", "福祉課", &["障がい福祉係", "高齢者支援係", "介護保険係", "生活福祉係"], 14),
            sec(KOSODATE, "子育て支援課", &["子育て支援係", "保育係"], 10),
            sec("0204", "健康課", &["健康づくり係", "予防係"], 9),
            sec("0205", "環境課", &["環境衛生係", "環境保全係"], 6),
        ],
    ),
    bureau(
        "03",
        "建設経済部",
        &[
            sec("0301", "都市整備課", &["都市計画係", "建設係", "管理係"], 10),
            sec("0302", "上下水道課", &["上水道係", "下水道係", "料金係"], 9),
            sec("0303", "農林振興課", &["農林係", "商工観光係"], 5),
            sec("0304", "地域振興課", &["地域づくり係", "協働推進係"], 5),
        ],
    ),
    Bureau {
        code: "04",
        name: "教育部",
        head: "部長",
        body: Some("board_of_education"),
        sections: &[
            sec(GAKKO, "学校教育課", &["学務係", "指導係"], 8),
            sec(SHOGAI, "生涯学習課", &["生涯学習係", "社会体育係", "文化財係"], 7),
        ],
    },
    bureau(
        "",
        "",
        &[
            sec("0501", "会計課", &["会計係"], 4),
            office("0601", "議会事務局", &["議事調査係"], 4, "assembly"),
            office("0701", "監査委員事務局", &[], 2, "audit_commissioners"),
            office("0801", "農業委員会事務局", &[], 2, "agricultural_commission"),
        ],
    ),
];

/// A kind of facility that hangs under a 課: (kind, suffix, supervising 課, head's post).
pub type Facility = (&'static str, &'static str, &'static str, &'static str);

/// The 町's kinds of facility.
pub const FACILITIES: &[Facility] = &[
    ("school", "小学校", GAKKO, "校長"),
    ("school", "中学校", GAKKO, "校長"),
    ("nursery", "保育園", KOSODATE, "園長"),
    ("facility", "公民館", SHOGAI, "館長"),
    ("facility", "児童館", KOSODATE, "館長"),
    ("facility", "出張所", JUMIN, "所長"),
];

/// The first facilities, always created when the target allows: (district, FACILITIES index).
pub const BASE_FACILITIES: &[(&str, usize)] =
    &[("志免", 0), ("志免中央", 0), ("志免南", 0), ("志免東", 0), ("志免", 1), ("志免東", 1), ("志免中央", 2), ("志免東", 2), ("別府", 2)];

/// The 町's posts and their ranks.
pub const POSTS: &[(&str, i64)] = &[
    ("町長", 100),
    ("副町長", 90),
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
];

/// An information system: (name, description, zone, owning 課, mfa, backup, redundancy,
/// log retention days, cloud services, contractors, documents).
pub struct SystemSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// The demo's kind of zone, `mynumber`, `lgwan` or `internet`; each profile's zones
    /// stand in for them (see `ZoneMap`).
    pub zone: &'static str,
    pub section: &'static str,
    pub mfa: bool,
    pub backup: bool,
    pub redundancy: bool,
    pub log_days: i64,
    pub cloud: &'static str,
    pub contractors: &'static str,
}

pub const fn sys(
    name: &'static str,
    description: &'static str,
    zone: &'static str,
    section: &'static str,
    backup: bool,
    cloud: &'static str,
    contractors: &'static str,
) -> SystemSpec {
    let mynumber = matches!(zone.as_bytes(), b"mynumber");
    SystemSpec {
        name,
        description,
        zone,
        section,
        mfa: mynumber,
        backup,
        redundancy: mynumber,
        log_days: if mynumber { 1825 } else { 365 },
        cloud,
        contractors,
    }
}

pub const GOV_CLOUD: &str = "ガバメントクラウド（標準準拠システム）";
pub const VENDOR_A: &str = "株式会社九州行政システム";
pub const VENDOR_B: &str = "西日本電算サービス株式会社";
pub const VENDOR_C: &str = "株式会社ふくおか情報技術";

pub const SYSTEMS: &[SystemSpec] = &[
    sys("住民記録システム", "住民基本台帳の記録・異動処理、住民票等の証明書発行", "mynumber", JUMIN, true, GOV_CLOUD, VENDOR_A),
    sys("戸籍情報システム", "戸籍の記載・証明、戸籍附票の管理", "mynumber", JUMIN, true, "", VENDOR_A),
    sys("税務システム", "個人住民税・固定資産税・軽自動車税の賦課", "mynumber", "0103", true, GOV_CLOUD, VENDOR_A),
    sys("収納管理システム", "町税・保険料の収納、滞納管理", "mynumber", "0104", true, GOV_CLOUD, VENDOR_A),
    sys("国民健康保険システム", "国保資格・賦課・給付", "mynumber", JUMIN, true, GOV_CLOUD, VENDOR_A),
    sys("介護保険システム", "介護保険の資格・認定・給付", "mynumber", "0202", true, GOV_CLOUD, VENDOR_B),
    sys("障がい者福祉システム", "障害者手帳・障害福祉サービスの管理", "mynumber", "0202", true, GOV_CLOUD, VENDOR_B),
    sys("子ども・子育て支援システム", "保育所入所・児童手当・子ども医療", "mynumber", KOSODATE, true, GOV_CLOUD, VENDOR_B),
    sys("健康管理システム", "健診・予防接種・母子保健の記録", "mynumber", "0204", true, "", VENDOR_B),
    sys("団体内統合宛名システム", "宛名番号と個人番号の紐付け、中間サーバーとの連携", "mynumber", SOMU, true, "", VENDOR_A),
    sys(
        "中間サーバー接続端末",
        "情報提供ネットワークシステムを通じた情報照会・提供",
        "mynumber",
        SOMU,
        false,
        "中間サーバー・プラットフォーム",
        "",
    ),
    sys("財務会計システム", "予算編成・執行・決算、支払", "lgwan", "0501", true, "", VENDOR_C),
    sys("人事給与システム", "人事記録・給与計算・勤怠", "lgwan", SOMU, true, "", VENDOR_C),
    sys("文書管理システム", "文書の収受・起案・決裁・保存", "lgwan", SOMU, true, "", VENDOR_C),
    sys("グループウェア", "庁内掲示板・スケジュール・施設予約", "lgwan", SOMU, true, "LGWAN-ASPグループウェアサービス", VENDOR_C),
    sys("LGWANメール", "LGWAN接続系の電子メール", "lgwan", SOMU, true, "", VENDOR_C),
    sys("ファイルサーバ", "課ごとの共有フォルダ", "lgwan", SOMU, true, "", VENDOR_C),
    sys("統合型GIS", "地図情報・道路台帳・都市計画図", "lgwan", "0301", true, "", VENDOR_B),
    sys("上下水道料金システム", "検針・料金調定・収納", "lgwan", "0302", true, "", VENDOR_B),
    sys("校務支援システム", "児童生徒の学籍・成績・保健の管理", "lgwan", GAKKO, true, "校務支援クラウドサービス", VENDOR_B),
    sys("農地台帳システム", "農地の所有・利用状況の管理", "lgwan", "0801", false, "", VENDOR_C),
    sys(
        "ホームページ管理システム",
        "町ホームページのコンテンツ管理（CMS）",
        "internet",
        "0102",
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
    sys("電子申請システム", "住民からのオンライン申請の受付", "internet", "0102", true, "電子申請SaaS", VENDOR_C),
    sys("図書館システム", "蔵書・貸出・利用者の管理、蔵書検索", "internet", SHOGAI, true, "図書館クラウドサービス", VENDOR_B),
    sys("施設予約システム", "公民館・体育施設のオンライン予約", "internet", SHOGAI, false, "施設予約SaaS", VENDOR_B),
    sys("議会会議録検索システム", "本会議・委員会の会議録の公開と検索", "internet", "0601", true, "会議録検索ASP", VENDOR_C),
];

/// Where an asset subject belongs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// A 課 (by code) and its 係 and facilities.
    Section(&'static str),
    /// Any department.
    Any,
    School,
    Nursery,
}

/// A kind of information asset the town holds.
pub struct Subject {
    pub name: &'static str,
    pub home: Home,
    pub kind: &'static str,
    /// Relative weights of electronic, paper and removable media.
    pub media: [u32; 3],
    pub classes: (&'static str, &'static str, &'static str),
    pub personal: bool,
    pub specific: bool,
    /// The system holding electronic copies, by name.
    pub system: Option<&'static str>,
    pub retention: &'static str,
    pub note: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn subj(
    name: &'static str,
    home: Home,
    kind: &'static str,
    media: [u32; 3],
    classes: (&'static str, &'static str, &'static str),
    personal: bool,
    specific: bool,
    system: Option<&'static str>,
    retention: &'static str,
    note: &'static str,
) -> Subject {
    Subject { name, home, kind, media, classes, personal, specific, system, retention, note }
}

use Home::{Any, Nursery, School, Section as S};

const INFO: &str = "information";
const DOC: &str = "document";
const EQUIP: &str = "equipment";
const E: [u32; 3] = [1, 0, 0];
const P: [u32; 3] = [0, 1, 0];
const EP: [u32; 3] = [3, 2, 0];
const EPR: [u32; 3] = [6, 3, 1];

pub const SUBJECTS: &[Subject] = &[
    // 住民課
    subj("住民基本台帳データ", S(JUMIN), INFO, E, ("3B", "2", "2"), true, true, Some("住民記録システム"), "永年", "個人番号を含む"),
    subj("住民票写し交付申請書", S(JUMIN), DOC, P, ("3B", "2", "1"), true, false, None, "1年", "窓口で受け付けたもの"),
    subj("転入届・転出届", S(JUMIN), DOC, EP, ("3B", "2", "1"), true, true, Some("住民記録システム"), "5年", "個人番号の記載あり"),
    subj(
        "個人番号カード交付管理簿",
        S(JUMIN),
        INFO,
        EP,
        ("3A", "2", "2"),
        true,
        true,
        Some("住民記録システム"),
        "10年",
        "個人番号カードの交付・廃止の記録",
    ),
    subj("戸籍届書", S(JUMIN), DOC, P, ("3B", "2", "2"), true, false, Some("戸籍情報システム"), "27年", "出生・婚姻・死亡等の届出"),
    subj("戸籍副本データ", S(JUMIN), INFO, E, ("3B", "2", "2"), true, false, Some("戸籍情報システム"), "永年", ""),
    subj("国民健康保険被保険者台帳", S(JUMIN), INFO, E, ("3B", "2", "2"), true, true, Some("国民健康保険システム"), "10年", ""),
    subj("国民年金異動届", S(JUMIN), DOC, P, ("3B", "2", "1"), true, true, None, "5年", ""),
    subj("印鑑登録原票", S(JUMIN), DOC, EP, ("3B", "2", "2"), true, false, Some("住民記録システム"), "永年", ""),
    // 税務課・収納課
    subj("住民税課税台帳", S("0103"), INFO, E, ("3B", "2", "2"), true, true, Some("税務システム"), "7年", "個人住民税の賦課の基礎"),
    subj("給与支払報告書", S("0103"), DOC, EPR, ("3B", "2", "1"), true, true, Some("税務システム"), "5年", "事業所から提出されたもの"),
    subj(
        "固定資産税課税台帳",
        S("0103"),
        INFO,
        E,
        ("3B", "2", "2"),
        true,
        false,
        Some("税務システム"),
        "永年",
        "土地・家屋の評価と課税標準",
    ),
    subj("軽自動車税課税資料", S("0103"), INFO, EP, ("3B", "2", "1"), true, false, Some("税務システム"), "5年", ""),
    subj("課税証明書交付申請書", S("0103"), DOC, P, ("3B", "1", "1"), true, false, None, "1年", "窓口・郵送で受け付けたもの"),
    subj("確定申告書（写し）", S("0103"), DOC, EPR, ("3B", "2", "1"), true, true, None, "5年", "税務署から回付されたもの"),
    subj("家屋評価調書", S("0103"), DOC, EP, ("3C", "2", "1"), true, false, None, "永年", ""),
    subj("滞納整理記録", S("0104"), INFO, EP, ("3B", "2", "2"), true, true, Some("収納管理システム"), "10年", "差押・交渉の経過"),
    subj("口座振替依頼書", S("0104"), DOC, P, ("3B", "2", "1"), true, false, Some("収納管理システム"), "5年", ""),
    subj(
        "納付書消込データ",
        S("0104"),
        INFO,
        EPR,
        ("3B", "2", "2"),
        true,
        false,
        Some("収納管理システム"),
        "5年",
        "金融機関からの収納データ",
    ),
    // 福祉課
    subj("介護認定調査票", S("0202"), DOC, EP, ("3B", "2", "1"), true, true, Some("介護保険システム"), "5年", "訪問調査の結果"),
    subj(
        "介護認定審査会資料",
        S("0202"),
        DOC,
        EPR,
        ("3B", "2", "1"),
        true,
        false,
        Some("介護保険システム"),
        "5年",
        "審査会委員に配付するもの",
    ),
    subj("介護保険被保険者台帳", S("0202"), INFO, E, ("3B", "2", "2"), true, true, Some("介護保険システム"), "10年", ""),
    subj("生活保護ケース記録", S("0202"), DOC, EP, ("3B", "2", "2"), true, true, None, "5年", "県と共有する記録を含む"),
    subj("障害者手帳交付台帳", S("0202"), INFO, EP, ("3B", "2", "2"), true, true, Some("障がい者福祉システム"), "永年", ""),
    subj(
        "避難行動要支援者名簿",
        S("0202"),
        INFO,
        EPR,
        ("3B", "2", "2"),
        true,
        false,
        None,
        "1年",
        "自主防災組織へ提供する範囲を定めたもの",
    ),
    subj("高齢者見守り台帳", S("0202"), INFO, EP, ("3C", "1", "1"), true, false, None, "3年", ""),
    // 子育て支援課
    subj("保育所入所申込書", S(KOSODATE), DOC, EP, ("3B", "2", "1"), true, true, Some("子ども・子育て支援システム"), "5年", ""),
    subj("児童手当受給者台帳", S(KOSODATE), INFO, E, ("3B", "2", "2"), true, true, Some("子ども・子育て支援システム"), "5年", ""),
    subj("要保護児童対策地域協議会記録", S(KOSODATE), DOC, P, ("3A", "2", "1"), true, false, None, "10年", "児童虐待に関する個別ケース"),
    subj("子ども医療費助成台帳", S(KOSODATE), INFO, E, ("3B", "2", "1"), true, true, Some("子ども・子育て支援システム"), "5年", ""),
    // 健康課
    subj(
        "特定健診結果データ",
        S("0204"),
        INFO,
        EPR,
        ("3B", "2", "1"),
        true,
        false,
        Some("健康管理システム"),
        "5年",
        "健診機関から受領したもの",
    ),
    subj("予防接種台帳", S("0204"), INFO, E, ("3B", "2", "2"), true, true, Some("健康管理システム"), "5年", ""),
    subj("母子健康手帳交付台帳", S("0204"), DOC, EP, ("3B", "2", "1"), true, false, Some("健康管理システム"), "5年", ""),
    subj("がん検診受診者名簿", S("0204"), INFO, EP, ("3B", "2", "1"), true, false, None, "5年", ""),
    // 総務課
    subj("人事評価記録", S(SOMU), INFO, EP, ("3A", "2", "1"), true, false, Some("人事給与システム"), "5年", ""),
    subj(
        "給与支給データ",
        S(SOMU),
        INFO,
        EPR,
        ("3B", "2", "2"),
        true,
        true,
        Some("人事給与システム"),
        "5年",
        "金融機関へ送付する振込データを含む",
    ),
    subj("懲戒処分関係書類", S(SOMU), DOC, P, ("3A", "2", "1"), true, false, None, "30年", ""),
    subj("情報システム管理者パスワード管理台帳", S(SOMU), INFO, P, ("3A", "2", "2"), false, false, None, "1年", "封緘して金庫に保管"),
    subj(
        "特定個人情報ファイル（宛名）",
        S(SOMU),
        INFO,
        E,
        ("3A", "2", "2"),
        true,
        true,
        Some("団体内統合宛名システム"),
        "永年",
        "個人番号と宛名番号の対応表",
    ),
    subj("情報照会・提供記録", S(SOMU), INFO, E, ("3B", "2", "2"), true, true, Some("中間サーバー接続端末"), "7年", ""),
    subj("情報セキュリティインシデント報告書", S(SOMU), DOC, EP, ("3C", "2", "1"), false, false, None, "5年", "CSIRTが取りまとめたもの"),
    subj("アクセスログ", S(SOMU), INFO, E, ("3C", "2", "1"), false, false, Some("ファイルサーバ"), "1年", ""),
    subj("例規集原稿", S(SOMU), INFO, EP, ("1", "2", "1"), false, false, Some("文書管理システム"), "永年", "公布済みのもの"),
    // 企画政策課
    subj("予算編成資料", S("0102"), INFO, EP, ("3C", "2", "1"), false, false, None, "10年", "査定前の内部資料"),
    subj("総合計画策定資料", S("0102"), INFO, EP, ("2", "1", "1"), false, false, None, "10年", ""),
    subj(
        "広報しめ原稿",
        S("0102"),
        INFO,
        EP,
        ("1", "1", "1"),
        false,
        false,
        Some("ホームページ管理システム"),
        "3年",
        "発行前は機密性2として扱う",
    ),
    subj("ホームページ掲載記事", S("0102"), INFO, E, ("1", "2", "1"), false, false, Some("ホームページ管理システム"), "3年", ""),
    subj("住民アンケート調査票", S("0102"), DOC, EP, ("3C", "1", "1"), true, false, Some("電子申請システム"), "3年", ""),
    // 会計課
    subj("支出命令書", S("0501"), DOC, EP, ("2", "2", "1"), false, false, Some("財務会計システム"), "5年", ""),
    subj("債権者登録データ", S("0501"), INFO, E, ("3C", "2", "2"), true, false, Some("財務会計システム"), "5年", "口座情報を含む"),
    subj("歳入歳出決算書", S("0501"), INFO, EP, ("1", "2", "1"), false, false, Some("財務会計システム"), "永年", "議会の認定を受けたもの"),
    // 都市整備課・上下水道課
    subj("道路台帳図面", S("0301"), INFO, EPR, ("2", "2", "1"), false, false, Some("統合型GIS"), "永年", ""),
    subj("都市計画図", S("0301"), INFO, EP, ("1", "2", "1"), false, false, Some("統合型GIS"), "永年", ""),
    subj("工事設計書", S("0301"), DOC, EPR, ("3C", "2", "1"), false, false, None, "10年", ""),
    subj("入札予定価格調書", S("0301"), DOC, P, ("3A", "2", "1"), false, false, None, "5年", "開札まで封印"),
    subj("水道使用者台帳", S("0302"), INFO, E, ("3B", "2", "2"), true, false, Some("上下水道料金システム"), "10年", ""),
    subj(
        "検針データ",
        S("0302"),
        INFO,
        EPR,
        ("3C", "2", "2"),
        true,
        false,
        Some("上下水道料金システム"),
        "5年",
        "ハンディターミナルから取り込んだもの",
    ),
    subj("下水道管路図", S("0302"), INFO, EPR, ("2", "2", "2"), false, false, Some("統合型GIS"), "永年", ""),
    // 農林振興課・農業委員会・地域振興課・環境課・防災安全課
    subj("農地台帳", S("0801"), INFO, EP, ("3C", "2", "1"), true, false, Some("農地台帳システム"), "永年", ""),
    subj("農地転用許可申請書", S("0801"), DOC, P, ("3C", "2", "1"), true, false, None, "10年", ""),
    subj("商工業振興補助金交付申請書", S("0303"), DOC, EP, ("3C", "1", "1"), true, false, None, "5年", ""),
    subj("自治会名簿", S("0304"), INFO, EP, ("3C", "1", "1"), true, false, None, "3年", ""),
    subj("ごみ収集カレンダー原稿", S("0205"), INFO, EP, ("1", "1", "1"), false, false, Some("ホームページ管理システム"), "1年", ""),
    subj("犬の登録台帳", S("0205"), INFO, EP, ("3C", "1", "1"), true, false, None, "永年", ""),
    subj("地域防災計画", S("0105"), INFO, EP, ("1", "2", "2"), false, false, None, "永年", "公表版"),
    subj("災害時職員参集名簿", S("0105"), INFO, EPR, ("3C", "2", "2"), true, false, None, "1年", "職員の自宅連絡先を含む"),
    // 学校教育課・生涯学習課・議会・監査
    subj("就学援助申請書", S(GAKKO), DOC, EP, ("3B", "2", "1"), true, false, None, "5年", ""),
    subj("学齢簿", S(GAKKO), INFO, EP, ("3B", "2", "2"), true, false, Some("住民記録システム"), "5年", ""),
    subj("図書館利用者登録データ", S(SHOGAI), INFO, E, ("3C", "2", "1"), true, false, Some("図書館システム"), "3年", ""),
    subj("文化財調査報告書", S(SHOGAI), DOC, EP, ("1", "2", "1"), false, false, None, "永年", ""),
    subj("本会議議事録", S("0601"), INFO, EP, ("1", "2", "1"), false, false, Some("議会会議録検索システム"), "永年", "公開済みのもの"),
    subj("委員会議事録（未定稿）", S("0601"), INFO, EP, ("2", "2", "1"), false, false, None, "永年", "確定前の原稿"),
    subj("政務活動費収支報告書", S("0601"), DOC, EP, ("1", "1", "1"), false, false, None, "5年", ""),
    subj("監査調書", S("0701"), DOC, EP, ("3C", "2", "1"), false, false, None, "10年", ""),
    // 学校・保育園
    subj("児童生徒名簿", School, INFO, EPR, ("3B", "2", "1"), true, false, Some("校務支援システム"), "5年", ""),
    subj("指導要録", School, DOC, EP, ("3B", "2", "2"), true, false, Some("校務支援システム"), "20年", "学籍に関する記録は20年保存"),
    subj("成績一覧表", School, INFO, EPR, ("3B", "2", "1"), true, false, Some("校務支援システム"), "5年", ""),
    subj("保健調査票", School, DOC, P, ("3B", "1", "1"), true, false, None, "5年", ""),
    subj("学校だより原稿", School, INFO, EP, ("1", "1", "1"), false, false, None, "1年", ""),
    subj("園児名簿", Nursery, INFO, EP, ("3B", "2", "1"), true, false, None, "5年", ""),
    subj("児童票", Nursery, DOC, P, ("3B", "2", "1"), true, false, None, "5年", "家庭状況を含む"),
    subj("保育日誌", Nursery, DOC, P, ("3C", "1", "1"), true, false, None, "5年", ""),
    subj("緊急連絡先一覧", Nursery, DOC, EP, ("3C", "2", "2"), true, false, None, "1年", ""),
    // どの課にもあるもの
    subj("課内会議議事録", Any, INFO, EP, ("2", "1", "1"), false, false, Some("文書管理システム"), "3年", ""),
    subj("庁議議事録", Any, INFO, EP, ("3C", "2", "1"), false, false, Some("文書管理システム"), "10年", "非公開の審議を含む"),
    subj("起案文書", Any, INFO, EP, ("2", "2", "1"), false, false, Some("文書管理システム"), "5年", ""),
    subj("業務委託契約書", Any, DOC, EP, ("2", "2", "1"), false, false, Some("文書管理システム"), "10年", ""),
    subj("入札参加資格申請書", Any, DOC, EP, ("3C", "1", "1"), false, false, None, "5年", ""),
    subj("予算要求資料", Any, INFO, EP, ("3C", "1", "1"), false, false, Some("財務会計システム"), "5年", ""),
    subj("時間外勤務命令簿", Any, DOC, EP, ("3C", "1", "1"), true, false, Some("人事給与システム"), "5年", ""),
    subj("職員名簿", Any, INFO, EPR, ("3C", "1", "1"), true, false, Some("グループウェア"), "1年", "内線・係の一覧"),
    subj("業務マニュアル", Any, INFO, EP, ("2", "1", "1"), false, false, Some("ファイルサーバ"), "常用", ""),
    subj("物品台帳", Any, INFO, EP, ("2", "1", "1"), false, false, Some("財務会計システム"), "5年", ""),
    subj("公文書開示請求書", Any, DOC, P, ("3C", "1", "1"), true, false, None, "5年", ""),
    subj("苦情・要望対応記録", Any, INFO, EP, ("3C", "1", "1"), true, false, None, "3年", ""),
    subj("統計資料（公表用）", Any, INFO, EP, ("1", "1", "1"), false, false, None, "5年", "公表済みのもの"),
    subj("外部研修資料", Any, DOC, EPR, ("1", "1", "1"), false, false, None, "1年", ""),
    subj("情報資産持出記録簿", Any, DOC, P, ("2", "2", "1"), false, false, None, "3年", "端末・媒体等の持出・持込の記録"),
    // 機器・媒体
    subj("業務用端末", Any, EQUIP, E, ("3C", "2", "2"), false, false, None, "更新まで", "シンクライアント端末"),
    subj(
        "USBメモリ（暗号化機能付き）",
        Any,
        EQUIP,
        [0, 0, 1],
        ("3B", "2", "1"),
        false,
        false,
        None,
        "更新まで",
        "管理番号を貼付して鍵付きキャビネットで保管",
    ),
    subj("外付けHDD（バックアップ用）", Any, EQUIP, [0, 0, 1], ("3B", "2", "2"), false, false, None, "更新まで", ""),
    subj("DVD-R（納品データ）", Any, EQUIP, [0, 0, 1], ("3C", "2", "1"), false, false, None, "5年", "委託事業者から受領したもの"),
    subj("複合機", Any, EQUIP, E, ("2", "1", "2"), false, false, None, "リース期間", "ハードディスクの消去証明を要する"),
    // The 市's own 課 (`charts.rs`). Appended, so that the 町's subjects keep their indexes
    // and the same seed makes the same 町.
    subj("財政調整基金運用資料", S(ZAISEI), INFO, EP, ("3C", "2", "1"), false, false, Some("財務会計システム"), "10年", ""),
    subj("公有財産台帳", S(ZAISEI), INFO, EP, ("2", "2", "2"), false, false, Some("財務会計システム"), "永年", ""),
    subj("道路占用許可申請書", S(DOURO), DOC, EP, ("3C", "1", "1"), true, false, None, "5年", ""),
    subj("河川巡視記録", S(DOURO), INFO, EPR, ("2", "1", "1"), false, false, Some("統合型GIS"), "5年", ""),
    subj("観光イベント協賛金台帳", S(SHOKO), INFO, EP, ("3C", "1", "1"), true, false, None, "5年", ""),
    subj(
        "教育委員会会議録",
        S(KYOIKU_SOMU),
        INFO,
        EP,
        ("2", "2", "1"),
        false,
        false,
        Some("文書管理システム"),
        "永年",
        "非公開の議事を含む",
    ),
    subj("学校施設台帳", S(KYOIKU_SOMU), INFO, EP, ("2", "2", "1"), false, false, None, "永年", ""),
    subj("選挙人名簿", S(SENKYO), INFO, EPR, ("3B", "2", "2"), true, false, Some("選挙システム"), "4年", "選挙人名簿抄本の閲覧記録を含む"),
    subj("期日前投票宣誓書", S(SENKYO), DOC, P, ("3B", "2", "1"), true, false, None, "4年", ""),
    subj("救急活動記録票", S(KEIBO), DOC, EP, ("3B", "2", "1"), true, false, Some("消防指令システム"), "5年", "傷病者の氏名・症状"),
    subj("119番通報記録", S(SHIREI), INFO, E, ("3B", "2", "2"), true, false, Some("消防指令システム"), "5年", "通報者の電話番号を含む"),
    subj("防火対象物台帳", S(SHOBO_SOMU), INFO, EP, ("3C", "2", "1"), false, false, None, "永年", ""),
    subj("水道工事設計書", S(KOMU), DOC, EPR, ("3C", "2", "1"), false, false, None, "10年", ""),
    // The 介護保険の一部事務組合's 課.
    subj("介護保険被保険者台帳", S(KAIGO), INFO, E, ("3B", "2", "2"), true, true, Some("介護保険システム"), "10年", ""),
    subj("要介護認定調査票", S(KAIGO), DOC, EP, ("3B", "2", "1"), true, true, Some("介護保険システム"), "5年", "訪問調査の結果"),
    subj("主治医意見書", S(KAIGO), DOC, EP, ("3A", "2", "1"), true, false, Some("介護保険システム"), "5年", "病名と心身の状態"),
    subj(
        "介護認定審査会資料",
        S(KAIGO),
        DOC,
        EPR,
        ("3B", "2", "1"),
        true,
        false,
        Some("介護認定審査会支援システム"),
        "5年",
        "審査会委員に配付するもの",
    ),
    subj("介護認定審査会会議録", S(KAIGO), INFO, EP, ("3B", "2", "1"), true, false, Some("介護認定審査会支援システム"), "10年", ""),
    subj("介護保険料賦課台帳", S(KAIGO), INFO, E, ("3B", "2", "2"), true, true, Some("介護保険システム"), "5年", ""),
    subj(
        "給付実績データ",
        S(KAIGO),
        INFO,
        EPR,
        ("3B", "2", "1"),
        true,
        false,
        Some("介護保険システム"),
        "5年",
        "国保連合会から受領したもの",
    ),
    // A 一部事務組合's 業務課 (the joint work, whatever it is).
    subj(
        "共同処理事務台帳",
        S(GYOMU),
        INFO,
        EP,
        ("3B", "2", "2"),
        true,
        true,
        Some("共同処理業務システム"),
        "10年",
        "構成市町村から受けた個人番号を含む",
    ),
    subj("構成市町村負担金算定資料", S(GYOMU), INFO, EP, ("3C", "2", "1"), false, false, Some("財務会計システム"), "5年", ""),
    subj("施設管理日誌", S(GYOMU), DOC, P, ("2", "1", "1"), false, false, None, "3年", ""),
];

/// Documents about a system (kind `system_document`); the system's name is prepended.
/// Confidentiality, integrity and availability levels.
pub type Levels = (&'static str, &'static str, &'static str);

pub const SYSTEM_DOCUMENTS: &[(&str, Levels, [u32; 3])] = &[
    ("設計書", ("3C", "2", "1"), EP),
    ("運用手順書", ("3C", "2", "2"), EP),
    ("ネットワーク構成図", ("3B", "2", "2"), EP),
    ("保守契約書", ("2", "2", "1"), P),
    ("障害対応記録", ("3C", "2", "1"), EPR),
    ("バックアップ媒体管理簿", ("3C", "2", "2"), P),
];

/// Where things are kept, by medium.
pub const LOCATIONS_PAPER: &[&str] = &["執務室 鍵付きキャビネット", "書庫（地下1階）", "執務室 書棚", "文書保存庫（第2庁舎）", "金庫"];
pub const LOCATIONS_MEDIA: &[&str] = &["執務室 鍵付きキャビネット", "サーバ室 媒体保管庫", "金庫"];

pub const VARIANTS: &[&str] = &[
    "（写し）",
    "（控）",
    "（原本）",
    "（第1分冊）",
    "（第2分冊）",
    "（4月分）",
    "（10月分）",
    "（上半期）",
    "（下半期）",
    "（追加分）",
    "（修正版）",
];

/// An asset subject, or a document about one of the created systems (by their indexes).
#[derive(Clone, Copy)]
pub enum SubjectRef {
    Subject(usize),
    SystemDocument(usize, usize),
}

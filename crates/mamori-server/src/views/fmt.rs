//! Formatting for people: dates in 和暦 with the Western year alongside, and labels.

use chrono::{DateTime, FixedOffset, Timelike};

pub use mamori_policy::yearly::{era, wareki_date, FiscalYear};

/// A stored `YYYY-MM-DD` shown in 和暦; other text as it is.
pub fn date_ja(text: &str) -> String {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map(wareki_date).unwrap_or_else(|_| text.to_owned())
}

/// A stored RFC 3339 time shown in 和暦 with the time of day.
pub fn wareki_time(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => {
            let t: DateTime<FixedOffset> = t.with_timezone(&mamori_store::jst());
            format!("{} {:02}:{:02}", wareki_date(t.date_naive()), t.hour(), t.minute())
        }
        Err(_) => text.to_owned(),
    }
}

pub fn medium_label(m: &str) -> &'static str {
    match m {
        "electronic" => "電子データ",
        "paper" => "紙",
        "removable_media" => "電磁的記録媒体",
        _ => "その他",
    }
}

pub const MEDIA: &[&str] = &["electronic", "paper", "removable_media"];

pub fn kind_label(k: &str) -> &'static str {
    match k {
        "information" => "情報",
        "document" => "文書",
        "system_document" => "システム関連文書",
        "equipment" => "機器・媒体",
        _ => "その他",
    }
}

pub const KINDS: &[&str] = &["information", "document", "system_document", "equipment"];

pub fn employment_label(e: &str) -> &'static str {
    match e {
        "regular" => "正規職員",
        "fiscal_year" => "会計年度任用職員",
        "contractor" => "委託事業者",
        _ => "その他",
    }
}

/// A change-record action as people read it; unknown actions show their code.
pub fn action_label(action: &str) -> &str {
    match action {
        "organization.create" => "団体の作成",
        "profile.activate" => "ポリシーの版の有効化",
        "department.create" => "課局等の追加",
        "post.create" => "職の追加",
        "person.create" => "職員の追加",
        "role.assign" => "役割の割当て",
        "role.unassign" => "役割の解除",
        "staff.import" => "職員名簿の取込",
        "user.create" => "アカウントの作成",
        "user.password" => "パスワードの設定",
        "user.unlock" => "ロックの解除",
        "user.sessions_end" => "全端末のログアウト",
        "session.end" => "端末のログアウト",
        "user.totp_issue" => "二要素認証の鍵の発行",
        "user.totp_enable" => "二要素認証の設定",
        "auth.login" => "ログイン",
        "ledger.anchor" => "アンカーの取得",
        "ledger.purge_personal" => "個人情報の消去",
        "auth.failure" => "ログイン失敗",
        "auth.lock" => "アカウントのロック",
        "asset.create" => "情報資産の登録",
        "asset.bulk_create" => "情報資産の一括登録",
        "asset.update" => "情報資産の変更",
        "asset.reclassify" => "分類の変更",
        "system.create" => "情報システムの登録",
        "system.update" => "情報システムの変更",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn era_boundaries() {
        assert_eq!(wareki_date(d(2019, 4, 30)), "平成31年4月30日（2019年）");
        assert_eq!(wareki_date(d(2019, 5, 1)), "令和元年5月1日（2019年）");
        assert_eq!(wareki_date(d(2026, 11, 22)), "令和8年11月22日（2026年）");
        assert_eq!(wareki_date(d(1989, 1, 7)), "昭和64年1月7日（1989年）");
        assert_eq!(wareki_date(d(1989, 1, 8)), "平成元年1月8日（1989年）");
    }

    #[test]
    fn stored_times_show_in_jst() {
        assert_eq!(wareki_time("2026-04-01T00:30:00+09:00"), "令和8年4月1日（2026年） 00:30");
        assert_eq!(wareki_time("2026-03-31T15:30:00+00:00"), "令和8年4月1日（2026年） 00:30");
    }
}

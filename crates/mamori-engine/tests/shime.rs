//! 志免町's decision rules, one table row (or more) per rule: the decision and the clause.

mod common;

use common::{check, engine, Case};
use mamori_engine::Outcome::{Denied, NeedsApproval, Permitted};
use serde_json::json;

fn staff() -> serde_json::Value {
    json!({"roles": [], "department": "住民課"})
}

#[test]
fn lifecycle_actions_of_chapter_2() {
    check(&engine("shime"), &lifecycle_actions_of_chapter_2_cases());
}

fn lifecycle_actions_of_chapter_2_cases() -> Vec<Case> {
    vec![
        Case {
            name: "送信 機密性1",
            request: json!({"action": "send", "subject": staff(), "object": {"classes": {"confidentiality": "1", "integrity": "1", "availability": "1"}}}),
            outcome: Permitted,
            deciding: &["send_basic"],
            clauses: &["対策基準2(2)④(イ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "送信 機密性2 は暗号化の義務つき",
            request: json!({"action": "send", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}}),
            outcome: Permitted,
            deciding: &["send_basic", "send_conf2"],
            clauses: &["対策基準2(2)④(イ)", "対策基準2(2)⑥"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "送信 機密性3B 暗号化なし",
            request: json!({"action": "send", "object": {"classes": {"confidentiality": "3B", "integrity": "1", "availability": "1"}}}),
            outcome: Denied,
            deciding: &["send_conf3b"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[("send_conf3b", "暗号化")],
        },
        Case {
            name: "送信 機密性3B 暗号化あり",
            request: json!({"action": "send", "object": {"classes": {"confidentiality": "3B", "integrity": "1", "availability": "1"}}, "context": {"facts": ["encrypted"]}}),
            outcome: Permitted,
            deciding: &["send_basic", "send_conf2", "send_conf3b"],
            clauses: &["対策基準2(2)④(イ)", "対策基準2(2)⑥", "対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "運搬 機密性2 は許可が必要",
            request: json!({"action": "transport", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}}),
            outcome: NeedsApproval,
            deciding: &["transport_conf2_approval"],
            clauses: &["対策基準2(2)⑦(イ)"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "運搬 機密性2 許可済み",
            request: json!({"action": "transport", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}, "context": {"approvals": ["security_manager"]}}),
            outcome: Permitted,
            deciding: &["transport_basic", "transport_conf2_measures", "transport_conf2_approval"],
            clauses: &["対策基準2(2)④(イ)", "対策基準2(2)⑦(ア)", "対策基準2(2)⑦(イ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "提供 機密性2 は情報セキュリティ管理者の許可",
            request: json!({"action": "provide", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}}),
            outcome: NeedsApproval,
            deciding: &["provide_conf2"],
            clauses: &["対策基準2(2)⑧(ア)"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "提供 機密性3A 暗号化なし",
            request: json!({"action": "provide", "object": {"classes": {"confidentiality": "3A", "integrity": "2", "availability": "2"}}, "context": {"approvals": ["security_manager"]}}),
            outcome: Denied,
            deciding: &["provide_conf3b"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[("provide_conf3b", "暗号化")],
        },
        Case {
            name: "提供 機密性1",
            request: json!({"action": "provide", "object": {"classes": {"confidentiality": "1", "integrity": "1", "availability": "1"}}}),
            outcome: Permitted,
            deciding: &["provide_basic"],
            clauses: &["対策基準2(2)④(イ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "保管 完全性2 は施錠保管",
            request: json!({"action": "store", "object": {"classes": {"confidentiality": "1", "integrity": "2", "availability": "1"}}}),
            outcome: Permitted,
            deciding: &["store_basic", "store_int2"],
            clauses: &["対策基準2(2)⑤(ア)", "対策基準2(2)⑤(エ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "保管 機密性2・可用性2",
            request: json!({"action": "store", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "2"}}}),
            outcome: Permitted,
            deciding: &["store_basic", "store_conf2", "store_avail2"],
            clauses: &["対策基準2(2)⑤(ア)", "対策基準2(2)⑤(エ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "複製",
            request: json!({"action": "copy", "object": {"classes": {"confidentiality": "3B", "integrity": "1", "availability": "1"}}, "context": {"device": "issued"}}),
            outcome: Permitted,
            deciding: &["copy_basic"],
            clauses: &["対策基準2(2)①(ウ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "複製 3A を私物端末で",
            request: json!({"action": "copy", "object": {"classes": {"confidentiality": "3A", "integrity": "1", "availability": "1"}}, "context": {"device": "private"}}),
            outcome: Denied,
            deciding: &["copy_conf3a_private"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "複製 3A 端末不明は支給外とみなす",
            request: json!({"action": "copy", "object": {"classes": {"confidentiality": "3A", "integrity": "1", "availability": "1"}}}),
            outcome: Denied,
            deciding: &["copy_conf3a_private"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "廃棄 許可前",
            request: json!({"action": "dispose", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}}),
            outcome: NeedsApproval,
            deciding: &["dispose_approval"],
            clauses: &["対策基準2(2)⑨(ウ)"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "廃棄 3B 許可後は記録と復元不可能な処理",
            request: json!({"action": "dispose", "object": {"classes": {"confidentiality": "3B", "integrity": "1", "availability": "1"}}, "context": {"approvals": ["security_manager"]}}),
            outcome: Permitted,
            deciding: &["dispose_approval", "dispose_record", "dispose_conf3b"],
            clauses: &["対策基準2(2)⑨(ウ)", "対策基準2(2)⑨(イ)", "対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
    ]
}

#[test]
fn taking_out_processing_outside_and_bringing_in() {
    check(&engine("shime"), &taking_out_processing_outside_and_bringing_in_cases());
}

fn taking_out_processing_outside_and_bringing_in_cases() -> Vec<Case> {
    vec![
        Case {
            name: "持出 3B 暗号化なしは不可",
            request: json!({"action": "take_out", "subject": staff(), "object": {"classes": {"confidentiality": "3B", "integrity": "2", "availability": "1"}}}),
            outcome: Denied,
            deciding: &["take_out_conf3b"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[("take_out_conf3b", "暗号化")],
        },
        Case {
            name: "持出 3B 暗号化済み → 管理者の許可",
            request: json!({"action": "take_out", "subject": staff(), "object": {"classes": {"confidentiality": "3B", "integrity": "2", "availability": "1"}}, "context": {"facts": ["encrypted"]}}),
            outcome: NeedsApproval,
            deciding: &["take_out_approval"],
            clauses: &["対策基準5.1(1)③(ア)"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "持出 3B 許可済み",
            request: json!({"action": "take_out", "subject": staff(), "object": {"classes": {"confidentiality": "3B", "integrity": "2", "availability": "1"}}, "context": {"facts": ["encrypted"], "approvals": ["security_manager"]}}),
            outcome: Permitted,
            deciding: &["take_out_approval", "take_out_record", "take_out_conf2_measures", "take_out_conf3b"],
            clauses: &["対策基準5.1(1)③(ア)", "対策基準5.1(1)⑤", "対策基準2(2)⑦(ア)", "対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "外部処理 3C 安全管理措置なし",
            request: json!({"action": "process_outside", "object": {"classes": {"confidentiality": "3C", "integrity": "1", "availability": "1"}}, "context": {"device": "issued", "location": "outside"}}),
            outcome: Denied,
            deciding: &["process_outside_conf3c"],
            clauses: &["対策基準5.1(1)③"],
            approvers: &[],
            missing: &[("process_outside_conf3c", "安全管理措置")],
        },
        Case {
            name: "外部処理 機密性2 は許可",
            request: json!({"action": "process_outside", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}, "context": {"device": "issued"}}),
            outcome: NeedsApproval,
            deciding: &["process_outside_approval"],
            clauses: &["対策基準5.1(1)③(イ)"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "外部処理 完全性2 安全管理措置あり・許可済み",
            request: json!({"action": "process_outside", "object": {"classes": {"confidentiality": "1", "integrity": "2", "availability": "2"}}, "context": {"device": "issued", "facts": ["safety_measures"], "approvals": ["security_manager"]}}),
            outcome: Permitted,
            deciding: &["process_outside_approval", "process_outside_int2", "process_outside_avail2"],
            clauses: &["対策基準5.1(1)③(イ)", "対策基準5.1(1)③"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "外部処理 3A 私物端末は禁止",
            request: json!({"action": "process_outside", "object": {"classes": {"confidentiality": "3A", "integrity": "1", "availability": "1"}}, "context": {"device": "private", "facts": ["safety_measures"], "approvals": ["security_manager"]}}),
            outcome: Denied,
            deciding: &["process_outside_conf3a_private"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "持込 私物端末 → 管理者の許可",
            request: json!({"action": "bring_in", "object": {"classes": {"confidentiality": "1"}}, "context": {"device": "private"}}),
            outcome: NeedsApproval,
            deciding: &["bring_in_private"],
            clauses: &["対策基準5.1(1)④(ア)"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "持込 端末の種別不明は許可の対象外",
            request: json!({"action": "bring_in", "object": {"classes": {"confidentiality": "1"}}}),
            outcome: Denied,
            deciding: &[],
            clauses: &[],
            approvers: &[],
            missing: &[("bring_in_private", "支給以外の端末")],
        },
        Case {
            name: "持込 3A の保管場所へは禁止",
            request: json!({"action": "bring_in", "object": {"classes": {"confidentiality": "3A"}}, "context": {"device": "private", "approvals": ["security_manager"]}}),
            outcome: Denied,
            deciding: &["bring_in_conf3a"],
            clauses: &["対策基準2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "持込端末の接続 確認なし",
            request: json!({"action": "connect_device", "context": {"approvals": ["security_manager"]}}),
            outcome: Denied,
            deciding: &["connect_device"],
            clauses: &["対策基準6.2(2)⑥"],
            approvers: &[],
            missing: &[("connect_device", "ウイルス")],
        },
        Case {
            name: "持込端末の接続 確認済み",
            request: json!({"action": "connect_device", "context": {"facts": ["malware_checked"]}}),
            outcome: NeedsApproval,
            deciding: &["connect_device"],
            clauses: &["対策基準6.2(2)⑥"],
            approvers: &["security_manager"],
            missing: &[],
        },
    ]
}

#[test]
fn systems_networks_and_services() {
    check(&engine("shime"), &systems_networks_and_services_cases());
}

fn systems_networks_and_services_cases() -> Vec<Case> {
    vec![
        Case {
            name: "ソフトウェア導入",
            request: json!({"action": "install_software", "subject": staff()}),
            outcome: NeedsApproval,
            deciding: &["install_software"],
            clauses: &["対策基準6.1(17)②"],
            approvers: &["security_director"],
            missing: &[],
        },
        Case {
            name: "ソフトウェア導入 許可済み",
            request: json!({"action": "install_software", "context": {"approvals": ["security_director"]}}),
            outcome: Permitted,
            deciding: &["install_software"],
            clauses: &["対策基準6.1(17)②"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "機器の増設",
            request: json!({"action": "change_hardware"}),
            outcome: NeedsApproval,
            deciding: &["change_hardware"],
            clauses: &["対策基準6.1(18)②"],
            approvers: &["system_manager"],
            missing: &[],
        },
        Case {
            name: "外部ネットワーク接続 (LGWAN系)",
            request: json!({"action": "connect_external_network", "object": {"zone": "lgwan"}}),
            outcome: NeedsApproval,
            deciding: &["connect_external_network"],
            clauses: &["対策基準6.1(10)①"],
            approvers: &["ciso"],
            missing: &[],
        },
        Case {
            name: "外部ネットワーク接続 (マイナンバー系は禁止)",
            request: json!({"action": "connect_external_network", "object": {"zone": "mynumber"}, "context": {"approvals": ["ciso"]}}),
            outcome: Denied,
            deciding: &["connect_external_network_mynumber"],
            clauses: &["対策基準3(1)①"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "外部からのアクセス",
            request: json!({"action": "remote_access", "object": {"zone": "lgwan"}, "context": {"location": "outside"}}),
            outcome: NeedsApproval,
            deciding: &["remote_access"],
            clauses: &["対策基準6.2(2)①"],
            approvers: &["security_director"],
            missing: &[],
        },
        Case {
            name: "外部からのアクセス 所在不明",
            request: json!({"action": "remote_access", "object": {"zone": "internet"}}),
            outcome: Denied,
            deciding: &[],
            clauses: &[],
            approvers: &[],
            missing: &[("remote_access", "庁外")],
        },
        Case {
            name: "外部からマイナンバー系へ",
            request: json!({"action": "remote_access", "object": {"zone": "mynumber"}, "context": {"location": "outside", "approvals": ["security_director"]}}),
            outcome: Denied,
            deciding: &["remote_access_mynumber"],
            clauses: &["対策基準3(1)①"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "庁外への機器設置",
            request: json!({"action": "place_equipment_outside"}),
            outcome: NeedsApproval,
            deciding: &["place_equipment_outside"],
            clauses: &["対策基準4.1(6)"],
            approvers: &["ciso"],
            missing: &[],
        },
        Case {
            name: "SNS 機密性1",
            request: json!({"action": "post_social_media", "object": {"classes": {"confidentiality": "1"}}}),
            outcome: Permitted,
            deciding: &["social_media_basic"],
            clauses: &["対策基準6.1(22)①"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "SNS 機密性2 は禁止",
            request: json!({"action": "post_social_media", "object": {"classes": {"confidentiality": "2"}}}),
            outcome: Denied,
            deciding: &["social_media_conf2"],
            clauses: &["対策基準6.1(22)②"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "SNS 分類不明は最高区分とみなし禁止",
            request: json!({"action": "post_social_media"}),
            outcome: Denied,
            deciding: &["social_media_conf2"],
            clauses: &["対策基準6.1(22)②"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "他団体との情報交換",
            request: json!({"action": "exchange_system_info"}),
            outcome: NeedsApproval,
            deciding: &["exchange_system_info"],
            clauses: &["対策基準6.1(3)"],
            approvers: &["security_director"],
            missing: &[],
        },
        Case {
            name: "クラウド 機密性2以上 (8.3)",
            request: json!({"action": "use_cloud_service", "object": {"classes": {"confidentiality": "2"}}}),
            outcome: NeedsApproval,
            deciding: &["cloud_conf2"],
            clauses: &["対策基準8.3(5)②"],
            approvers: &["security_director"],
            missing: &[],
        },
        Case {
            name: "クラウド 機密性1 (8.4)",
            request: json!({"action": "use_cloud_service", "object": {"classes": {"confidentiality": "1"}}}),
            outcome: NeedsApproval,
            deciding: &["cloud_conf1"],
            clauses: &["対策基準8.4(2)②"],
            approvers: &["security_manager"],
            missing: &[],
        },
        Case {
            name: "クラウド 機密性1 承認済み",
            request: json!({"action": "use_cloud_service", "object": {"classes": {"confidentiality": "1"}}, "context": {"approvals": ["security_manager"]}}),
            outcome: Permitted,
            deciding: &["cloud_conf1"],
            clauses: &["対策基準8.4(2)②"],
            approvers: &[],
            missing: &[],
        },
    ]
}

#[test]
fn exceptions_and_the_my_number_zone() {
    check(&engine("shime"), &exceptions_and_the_my_number_zone_cases());
}

fn exceptions_and_the_my_number_zone_cases() -> Vec<Case> {
    vec![
        Case {
            name: "例外措置 は CISO の許可",
            request: json!({"action": "exception", "subject": {"roles": ["security_manager"]}}),
            outcome: NeedsApproval,
            deciding: &["exception"],
            clauses: &["対策基準7.4(1)"],
            approvers: &["ciso"],
            missing: &[],
        },
        Case {
            name: "緊急時の例外措置 は先に実施し事後報告",
            request: json!({"action": "exception", "context": {"emergency": true, "date": "2026-11-20"}}),
            outcome: Permitted,
            deciding: &["exception_emergency"],
            clauses: &["対策基準7.4(2)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "マイナンバー系 媒体への書出しは禁止",
            request: json!({"action": "export_to_media", "object": {"zone": "mynumber"}}),
            outcome: Denied,
            deciding: &["export_to_media_mynumber"],
            clauses: &["対策基準3(1)②(イ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "領域不明の書出しも禁止（厳しい側）",
            request: json!({"action": "export_to_media"}),
            outcome: Denied,
            deciding: &["export_to_media_mynumber"],
            clauses: &["対策基準3(1)②(イ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "LGWAN系 書出し",
            request: json!({"action": "export_to_media", "object": {"zone": "lgwan"}}),
            outcome: Permitted,
            deciding: &["export_to_media"],
            clauses: &["対策基準2(2)④(イ)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "マイナンバー系 多要素認証なし",
            request: json!({"action": "access_system", "object": {"zone": "mynumber"}}),
            outcome: Denied,
            deciding: &["access_system_mynumber"],
            clauses: &["対策基準3(1)②(ア)"],
            approvers: &[],
            missing: &[("access_system_mynumber", "多要素認証")],
        },
        Case {
            name: "マイナンバー系 多要素認証あり",
            request: json!({"action": "access_system", "object": {"zone": "mynumber"}, "context": {"facts": ["mfa"]}}),
            outcome: Permitted,
            deciding: &["access_system_mynumber"],
            clauses: &["対策基準3(1)②(ア)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "システム変更 (情報システム担当者) は2名作業と記録",
            request: json!({"action": "change_system", "subject": {"roles": ["system_operator"]}}),
            outcome: Permitted,
            deciding: &["change_system"],
            clauses: &["対策基準6.1(4)③"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "システム変更 (役割のない職員) は不可",
            request: json!({"action": "change_system", "subject": staff()}),
            outcome: Denied,
            deciding: &[],
            clauses: &[],
            approvers: &[],
            missing: &[("change_system", "所定の役割")],
        },
        Case {
            name: "LGWAN系システムの利用",
            request: json!({"action": "access_system", "object": {"zone": "lgwan"}}),
            outcome: Permitted,
            deciding: &["access_system"],
            clauses: &["対策基準6.2(1)"],
            approvers: &[],
            missing: &[],
        },
        Case {
            name: "領域不明のシステム利用は不可",
            request: json!({"action": "access_system", "context": {"facts": ["mfa"]}}),
            outcome: Denied,
            deciding: &[],
            clauses: &[],
            approvers: &[],
            missing: &[("access_system", "領域")],
        },
    ]
}

#[test]
fn an_emergency_exception_must_be_reported_with_a_due_date() {
    let e = engine("shime");
    let q = e.query(&common::input(json!({"action": "exception", "context": {"emergency": true, "date": "2026-11-20"}}))).unwrap();
    let d = e.decide(&q);
    let report = d.duties.iter().find(|x| x.spec.kind == mamori_policy::DutyKind::Report).expect("a report duty");
    assert_eq!(report.spec.to.as_ref().map(|t| t.get_ref().as_str()), Some("ciso"));
    assert_eq!(report.due, chrono::NaiveDate::from_ymd_opt(2026, 11, 20), "事後速やかに: due the same day");
    assert!(d.duties.iter().any(|x| x.spec.record.as_deref() == Some("例外措置台帳")), "listed in the CISO's register of exceptions");
}

#[test]
fn the_json_answer_names_outcome_clauses_approvals_and_missing() {
    let e = engine("shime");
    let q = e
        .query(&common::input(
            json!({"action": "take_out", "object": {"classes": {"confidentiality": "3B"}}, "context": {"facts": ["encrypted"]}}),
        ))
        .unwrap();
    let d = e.decide(&q);
    let v = serde_json::to_value(mamori_engine::DecisionJson { engine: &e, decision: &d }).unwrap();
    assert_eq!(v["outcome"], "needs_approval");
    assert_eq!(v["clauses"], json!(["対策基準5.1(1)③(ア)"]));
    assert_eq!(v["approvals"][0]["role"], "security_manager");
    assert_eq!(v["approvals"][0]["form"], "情報資産持出・持込申請書");
    assert_eq!(v["profile_version"], "shime-test");
    assert!(v["duties"].as_array().unwrap().iter().any(|d| d["record"] == "情報資産持出・持込記録"));
}

#[test]
fn unknown_names_are_refused_before_deciding() {
    let e = engine("shime");
    for (req, want) in [
        (json!({"action": "fly"}), "action"),
        (json!({"action": "send", "subject": {"roles": ["mayor"]}}), "役割"),
        (json!({"action": "send", "object": {"classes": {"secrecy": "1"}}}), "分類"),
        (json!({"action": "send", "object": {"classes": {"confidentiality": "9"}}}), "区分"),
        (json!({"action": "send", "object": {"zone": "moon"}}), "領域"),
    ] {
        let err = e.query(&common::input(req.clone())).expect_err(&req.to_string());
        assert!(err.message_ja().contains(want), "{req}: {}", err.message_ja());
    }
}

#[test]
fn every_rule_of_the_profile_decides_some_row_of_the_tables() {
    let e = engine("shime");
    let mut seen = std::collections::BTreeSet::new();
    for cases in [
        lifecycle_actions_of_chapter_2_cases(),
        taking_out_processing_outside_and_bringing_in_cases(),
        systems_networks_and_services_cases(),
        exceptions_and_the_my_number_zone_cases(),
    ] {
        for c in cases {
            seen.extend(c.deciding.iter().copied());
        }
    }
    let missing: Vec<&str> = e.rules().iter().map(|r| r.id.as_str()).filter(|id| !seen.contains(id)).collect();
    assert!(missing.is_empty(), "rules no table row shows deciding: {missing:?}");
}

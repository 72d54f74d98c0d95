//! The other bundled profiles: their documents leave the handling rules to the standard
//! 対策基準, so their decision rules are standard measures and say so.

mod common;

use common::{check, engine, Case};
use mamori_engine::Outcome::{Denied, NeedsApproval, Permitted};
use mamori_policy::{Action, Provenance};
use serde_json::json;

#[test]
fn every_bundled_profile_decides_every_action_by_some_rule() {
    for (id, _, _) in mamori_policy::bundled::BUNDLED {
        let e = engine(id);
        for a in Action::ALL {
            assert!(e.rules().iter().any(|r| r.action == a), "{id}: no decision rule for {}", a.id());
        }
        for r in e.rules() {
            assert!(!r.clause.is_empty() && !r.text.is_empty(), "{id}: rule {} cites a clause and says what it means", r.id);
        }
    }
}

#[test]
fn yokote_and_nakaniikawa_cite_the_standard_measures() {
    for id in ["yokote", "nakaniikawa"] {
        let e = engine(id);
        assert!(e.rule("take_out_approval").is_some_and(|r| r.provenance == Provenance::Standard), "{id}");
        check(
            &e,
            &[
                Case {
                    name: "持出 3B 暗号化済み",
                    request: json!({"action": "take_out", "object": {"classes": {"confidentiality": "3B"}}, "context": {"facts": ["encrypted"]}}),
                    outcome: NeedsApproval,
                    deciding: &["take_out_approval"],
                    clauses: &["標準対策基準5.1(1)③(ア)"],
                    approvers: &["security_manager"],
                    missing: &[],
                },
                Case {
                    name: "SNS 機密性2",
                    request: json!({"action": "post_social_media", "object": {"classes": {"confidentiality": "2"}}}),
                    outcome: Denied,
                    deciding: &["social_media_conf2"],
                    clauses: &["標準対策基準6.1(22)②"],
                    approvers: &[],
                    missing: &[],
                },
                Case {
                    name: "クラウド 機密性3C",
                    request: json!({"action": "use_cloud_service", "object": {"classes": {"confidentiality": "3C"}}}),
                    outcome: NeedsApproval,
                    deciding: &["cloud_conf2"],
                    clauses: &["標準対策基準8.3(5)②"],
                    approvers: &["security_director"],
                    missing: &[],
                },
                Case {
                    name: "マイナンバー系 書出し",
                    request: json!({"action": "export_to_media", "object": {"zone": "mynumber"}}),
                    outcome: Denied,
                    deciding: &["export_to_media_mynumber"],
                    clauses: &["標準対策基準3(1)②(イ)"],
                    approvers: &[],
                    missing: &[],
                },
                Case {
                    name: "例外措置 緊急",
                    request: json!({"action": "exception", "context": {"emergency": true}}),
                    outcome: Permitted,
                    deciding: &["exception_emergency"],
                    clauses: &["標準対策基準7.4(2)"],
                    approvers: &[],
                    missing: &[],
                },
            ],
        );
    }
}

#[test]
fn nansatsu_keeps_its_care_certification_zone_apart() {
    let e = engine("nansatsu");
    check(
        &e,
        &[
            Case {
                name: "介護認定事務系 書出しは禁止",
                request: json!({"action": "export_to_media", "object": {"zone": "kaigo"}}),
                outcome: Denied,
                deciding: &["export_to_media_kaigo"],
                clauses: &["基本方針6(3)①"],
                approvers: &[],
                missing: &[],
            },
            Case {
                name: "介護認定事務系への外部からのアクセスは禁止",
                request: json!({"action": "remote_access", "object": {"zone": "kaigo"}, "context": {"location": "outside", "approvals": ["security_director"]}}),
                outcome: Denied,
                deciding: &["remote_access_kaigo"],
                clauses: &["基本方針6(3)①"],
                approvers: &[],
                missing: &[],
            },
            Case {
                name: "介護認定事務系の利用 (多要素認証は定めなし)",
                request: json!({"action": "access_system", "object": {"zone": "kaigo"}}),
                outcome: Permitted,
                deciding: &["access_system"],
                clauses: &["標準対策基準6.2(1)"],
                approvers: &[],
                missing: &[],
            },
            Case {
                name: "廃棄 許可済み",
                request: json!({"action": "dispose", "object": {"classes": {"confidentiality": "2"}}, "context": {"approvals": ["security_manager"]}}),
                outcome: Permitted,
                deciding: &["dispose_approval", "dispose_record"],
                clauses: &["標準対策基準2(2)⑨(ウ)", "標準対策基準2(2)⑨(イ)"],
                approvers: &[],
                missing: &[],
            },
        ],
    );
}

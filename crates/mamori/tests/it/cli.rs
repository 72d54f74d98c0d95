//! The command line: profile checks, the demo, and a clear refusal to serve a missing database.

use crate::support::{run, workspace_root};

#[test]
fn profile_check_accepts_a_bundled_profile() {
    let file = workspace_root().join("profiles/shime.toml");
    let run = run(&["profile", "check", file.to_str().expect("UTF-8 path")]);
    run.assert_success().assert_stdout_contains("OK").assert_stdout_contains("志免町");
}

#[test]
fn profile_check_names_file_line_and_column_of_a_dangling_role() {
    let original = std::fs::read_to_string(workspace_root().join("profiles/shime.toml")).expect("reading profiles/shime.toml");
    let needle = "approver = \"security_manager\"";
    let at = original.find(needle).expect("shime.toml has an approver to break");
    let broken_line = original[..at].lines().count() + 1;
    let broken = original.replacen(needle, "approver = \"no_such_role\"", 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, broken).expect("writing the broken profile");
    let path = file.to_str().expect("UTF-8 path");

    let run = run(&["profile", "check", path]);
    run.assert_failure().assert_stderr_contains("no_such_role");
    // `FILE:LINE:COL: message`, pointing at the line we broke.
    let located = run.stderr.lines().find_map(|l| {
        let rest = l.split_once(&format!("{path}:"))?.1;
        let mut parts = rest.splitn(3, ':');
        let line: usize = parts.next()?.parse().ok()?;
        let col: usize = parts.next()?.parse().ok()?;
        Some((line, col, l.to_owned()))
    });
    let (line, col, text) = located.unwrap_or_else(|| panic!("stderr should contain {path}:LINE:COL:\n{run}"));
    assert_eq!(line, broken_line, "the error should point at the broken line {broken_line}: {text}\n{run}");
    assert!(col >= 1, "column should be 1-based: {text}");
}

#[test]
fn demo_prepares_a_data_directory_and_prints_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("demo");
    let run = run(&["demo", "--no-serve", "--data-dir", data.to_str().expect("UTF-8 path")]);
    run.assert_success();
    assert!(data.join("mamori.sqlite").exists(), "the demo should create mamori.sqlite\n{run}");
    for login in ["admin", "ciso", "somu", "jumin-kacho", "jumin-staff"] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(login))
            .unwrap_or_else(|| panic!("no credentials printed for {login}\n{run}"));
        let password = line.split_whitespace().nth(1).unwrap_or_default();
        assert!(password.len() >= 12, "the password for {login} looks wrong in {line:?}\n{run}");
    }
    run.assert_stdout_contains("mamori serve --data-dir");
}

#[test]
fn serve_refuses_a_missing_database_without_create() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("empty");
    std::fs::create_dir_all(&data).expect("creating the data directory");
    let run = run(&["serve", "--data-dir", data.to_str().expect("UTF-8 path"), "--listen", "127.0.0.1:0"]);
    run.assert_failure().assert_stderr_contains("does not exist").assert_stderr_contains("--create");
    assert!(!data.join("mamori.sqlite").exists(), "serve without --create must not create the database\n{run}");
}

#[test]
fn policy_compile_writes_a_draft_that_validates_and_a_report_of_every_line() {
    let seed = workspace_root().join("crates/mamori-compiler/tests/seeds/004_e5ba308fd86ab30f.txt");
    let dir = tempfile::tempdir().expect("temp dir");
    let (draft, report) = (dir.path().join("draft.toml"), dir.path().join("report.md"));
    let gold = workspace_root().join("crates/mamori-compiler/tests/gold/004_shime.toml");
    run(&[
        "policy",
        "compile",
        seed.to_str().expect("UTF-8 path"),
        "-o",
        draft.to_str().expect("UTF-8 path"),
        "--report",
        report.to_str().expect("UTF-8 path"),
        "--eval",
        gold.to_str().expect("UTF-8 path"),
    ])
    .assert_success()
    .assert_stdout_contains("duties");
    run(&["profile", "check", draft.to_str().expect("UTF-8 path")]).assert_success().assert_stdout_contains("OK");
    let report = std::fs::read_to_string(&report).expect("the report was written");
    assert!(report.contains("対策基準5.1(1)③"), "the report lists the clauses it recognized");

    let missing = dir.path().join("no-such-policy.txt");
    run(&["policy", "compile", missing.to_str().expect("UTF-8 path")]).assert_failure().assert_stderr_contains("ポリシー文書");
}

/// A post holding the audit director's role and the 統括's: `profile check` passes but says
/// so, citing the profile's own 兼務 clause.
#[test]
fn profile_check_reports_a_post_that_audits_itself() {
    let original = std::fs::read_to_string(workspace_root().join("profiles/shime.toml")).expect("reading profiles/shime.toml");
    let extra = "\n[[roles]]\nid = \"audit_director\"\nname = \"情報セキュリティ監査統括責任者\"\nscope = \"organization\"\nposts = [\"総務課長\"]\nclause = \"対策基準1(2)①\"\nprovenance = \"document\"\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("kenmu.toml");
    std::fs::write(&file, format!("{original}{extra}")).expect("writing the profile");
    run(&["profile", "check", file.to_str().expect("UTF-8 path")])
        .assert_success()
        .assert_stdout_contains("注意: 兼務: 「総務課長」")
        .assert_stdout_contains("対策基準1(8)②");
}

#[test]
fn policy_gaps_lists_what_a_basic_policy_leaves_to_its_measures() {
    let seed = workspace_root().join("crates/mamori-compiler/tests/seeds/003_398dfb7b61648d7e.txt");
    run(&["policy", "gaps", seed.to_str().expect("UTF-8 path")])
        .assert_success()
        .assert_stdout_contains("本文に定めのない標準の義務・禁止")
        .assert_stdout_contains("標準対策基準5.3(3)①");
}

/// A reader that stops early (`mamori policy gaps … | head`) ends the output quietly.
#[test]
fn policy_output_into_a_closed_pipe_does_not_panic() {
    use std::process::Stdio;
    let seed = workspace_root().join("crates/mamori-compiler/tests/seeds/003_398dfb7b61648d7e.txt");
    let mut child = crate::support::mamori(&["policy", "gaps", seed.to_str().expect("UTF-8 path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mamori starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("mamori ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}

/// 志免町's profile without one rule family: the diff names the family and the decisions it
/// changes, and exits non-zero; a profile compared with itself exits 0.
#[test]
fn profile_diff_reports_a_removed_family_and_changed_decisions() {
    let original = std::fs::read_to_string(workspace_root().join("profiles/shime.toml")).expect("reading profiles/shime.toml");
    // Every [[decision_rules]] table, up to the next table header.
    let mut kept = String::new();
    let mut skipping = false;
    for line in original.split_inclusive('\n') {
        if line.starts_with('[') {
            skipping = line.starts_with("[[decision_rules]]");
        }
        if !skipping {
            kept.push_str(line);
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("no-decisions.toml");
    std::fs::write(&file, &kept).expect("writing the profile");
    let shime = workspace_root().join("profiles/shime.toml");
    let run = run(&["profile", "diff", shime.to_str().unwrap(), file.to_str().unwrap()]);
    run.assert_failure()
        .assert_stdout_contains("判断規則（decision_rules）: 49 → 0 件")
        .assert_stdout_contains("すべて削除")
        .assert_stdout_contains("件の判断が変わります")
        .assert_stdout_contains("確認のトークン");
    assert_eq!(run.status.code(), Some(1), "exit code 1 when something is lost\n{run}");
    let same = crate::support::run(&["profile", "diff", "shime", shime.to_str().unwrap()]);
    same.assert_success().assert_stdout_contains("規則・役割・領域に違いはありません").assert_stdout_contains("0 件が変わります");
}

/// One-time credentials printed by `mamori demo`: login → password.
fn printed_logins(run: &crate::support::Run) -> Vec<(String, String)> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            (parts.len() >= 3 && parts[1].len() >= 12).then(|| (parts[0].to_owned(), parts[1].to_owned()))
        })
        .collect()
}

/// 南薩's profile with role ids of its own: its 管理者 and CSIRT renamed, doing the standard
/// jobs through `acts_as`, as a compiled policy may name them.
fn nansatsu_with_own_role_ids() -> String {
    let text = std::fs::read_to_string(workspace_root().join("profiles/nansatsu.toml")).expect("reading profiles/nansatsu.toml");
    let mut text = text.replace("\"security_manager\"", "\"joho_sekininsha\"").replace("\"csirt\"", "\"csirt_team\"");
    for (id, job) in [("joho_sekininsha", "security_manager"), ("csirt_team", "csirt")] {
        let line = format!("id = \"{id}\"\n");
        assert!(text.contains(&line), "nansatsu.toml has the role {id} after renaming");
        text = text.replacen(&line, &format!("{line}acts_as = \"{job}\"\n"), 1);
    }
    text
}

/// `mamori demo --profile` builds a working demo organization for 横手市, 中新川, 南薩 and a
/// profile file: the database holds the profile's organization, every permission step of its
/// workflow has a holder among the role assignments (or is the administrator's), the printed
/// logins exist and hold their jobs, and every system is in one of the profile's zones.
#[test]
fn demo_builds_a_working_organization_for_any_profile() {
    use mamori_policy::workflow::{acts_as, Step, StepKind, Workflow, WorkflowRole};
    let dir = tempfile::tempdir().expect("temp dir");
    let own = dir.path().join("own-role-ids.toml");
    std::fs::write(&own, nansatsu_with_own_role_ids()).expect("writing the profile file");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for (n, arg) in ["yokote", "nakaniikawa", "nansatsu", own.to_str().expect("UTF-8 path")].into_iter().enumerate() {
        let data = dir.path().join(format!("demo-{n}"));
        let run = run(&["demo", "--no-serve", "--profile", arg, "--data-dir", data.to_str().expect("UTF-8 path")]);
        run.assert_success();
        let (file_name, text) = if arg.ends_with(".toml") {
            (arg.to_owned(), std::fs::read_to_string(arg).expect("reading the profile file"))
        } else {
            (format!("{arg}.toml"), mamori_policy::bundled::bundled(arg).expect("bundled").to_owned())
        };
        let profile = mamori_policy::parse_profile(&file_name, &text).expect("the profile loads");
        run.assert_stdout_contains(&profile.organization.name);
        let logins = printed_logins(&run);
        let names: Vec<&str> = logins.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(names.len(), 6, "admin, CISO, 統括, a 管理者, a staff member, CSIRT: {names:?}\n{run}");
        assert_eq!(&names[..3], ["admin", "ciso", "somu"], "{run}");
        assert_eq!(names[5], "csirt", "{run}");
        assert!(names[3].ends_with("-kacho") && names[4].ends_with("-staff"), "{run}");

        runtime.block_on(async {
            let url = mamori_store::sqlite_url_in(&data);
            let store = mamori_store::Store::open(&url, mamori_store::OpenOptions::default()).await.expect("opening the demo database");
            let orgs = store.organizations().await.expect("organizations");
            assert_eq!(orgs.len(), 1, "one demo organization per data directory");
            let org = &orgs[0];
            assert_eq!((org.code.as_str(), org.name.as_str()), (profile.profile.id.as_str(), profile.organization.name.as_str()));
            let active = store.active_profile(org.id).await.expect("query").expect("an active profile");
            assert_eq!(active.content, text, "the demo runs on exactly this profile");

            let roles = store.role_assignments(org.id).await.expect("role assignments");
            for r in &roles {
                assert!(profile.role(&r.role).is_some(), "{arg}: {} is not one of the profile's roles", r.role);
            }
            let workflow = Workflow::of(&profile);
            for &step in Step::ALL.iter().filter(|s| matches!(s.kind(), StepKind::Permission { .. })) {
                let rule = workflow.rule(step);
                assert!(
                    rule.administrators || roles.iter().any(|a| rule.roles.contains(&a.role)),
                    "{arg}: nobody in the demo may take {step} (roles {:?})",
                    rule.roles
                );
            }

            // Each printed login exists, and holds the job it is printed for.
            let jobs = |person: i64| -> Vec<WorkflowRole> {
                roles.iter().filter(|r| r.person_id == person).filter_map(|r| profile.role(&r.role).and_then(acts_as)).collect()
            };
            for (login, _) in &logins {
                let user = store.user_by_login(login).await.expect("query").unwrap_or_else(|| panic!("{arg}: no user {login}"));
                assert_eq!(user.org_id, org.id);
                let want = match login.as_str() {
                    "admin" => {
                        assert!(user.is_admin);
                        continue;
                    }
                    "ciso" => Some(WorkflowRole::Ciso),
                    "somu" => Some(WorkflowRole::SecurityDirector),
                    "csirt" => Some(WorkflowRole::Csirt),
                    l if l.ends_with("-kacho") => Some(WorkflowRole::SecurityManager),
                    _ => None,
                };
                let held = jobs(user.person_id.expect("a staff login is a person"));
                match want {
                    Some(job) => assert!(held.contains(&job), "{arg}: {login} should do {job:?}, holds {held:?}"),
                    None => assert!(held.is_empty(), "{arg}: {login} is an ordinary staff member, holds {held:?}"),
                }
            }

            let zones: Vec<&str> = profile.zones.iter().map(|z| z.id.as_str()).collect();
            let systems = store.systems(org.id, None, None).await.expect("systems");
            assert!(!systems.is_empty());
            for s in &systems {
                let zone = s.fields.zone.as_deref().unwrap_or("(none)");
                assert!(zones.contains(&zone), "{arg}: {} is in zone {zone}, not one of {zones:?}", s.fields.name);
            }
            store.close().await;
        });
    }
}

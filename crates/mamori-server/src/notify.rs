//! Incident notices: routing a report to people, mailing the notices, and escalating the
//! ones nobody acknowledged in time.
//!
//! [`run_due`] does one round of the work that time makes due — escalations, then mail —
//! for the instant it is given; the server calls it every [`TICK`] with the current time,
//! and tests call it with the time they want, which is the controllable clock.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use chrono::{DateTime, FixedOffset};
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mamori_policy::incident::{self, Directory, DueReport, Facts, Holder, Reason};
use mamori_policy::Profile;
use mamori_store::incidents::{initial_mail_status, Incident, NewNotice, Notice};
use mamori_store::{jst, Actor};

use crate::error::AppError;
use crate::{AppState, MailSettings};

/// How often the server looks for due escalations and unsent mail.
pub const TICK: Duration = Duration::from_secs(30);

/// The people and structure routing needs, as of `day` (`YYYY-MM-DD`) for absences.
pub async fn directory(state: &AppState, org_id: i64, day: &str) -> Result<Directory, AppError> {
    let store = &state.store;
    let holders = store
        .role_assignments(org_id)
        .await?
        .into_iter()
        .map(|a| Holder { role: a.role, person_id: a.person_id, department_id: a.department_id, is_deputy: a.is_deputy })
        .collect();
    let parents = store.departments(org_id).await?.into_iter().filter_map(|d| d.parent_id.map(|p| (d.id, p))).collect();
    let absent = store.absences(org_id, day, false).await?.into_iter().map(|a| a.person_id).collect();
    Ok(Directory { holders, parents, absent })
}

/// The notices to create for `roles` on an incident in `department_id` at `now`, leaving out
/// anyone already told in the same capacity (`already`: (person, role)). Also returns the
/// roles nobody could be found for.
pub fn notices_for(
    profile: &Profile,
    roles: &[(String, Reason)],
    department_id: i64,
    dir: &Directory,
    now: DateTime<FixedOffset>,
    already: &HashSet<(i64, String)>,
    escalated_from: Option<i64>,
) -> (Vec<NewNotice>, Vec<String>) {
    let routing = incident::route(profile, roles, department_id, dir);
    let minutes = i64::from(incident::acknowledge_within_minutes(profile));
    let by = (now.with_timezone(&jst()) + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    let notices = routing
        .recipients
        .into_iter()
        .filter(|r| !already.contains(&(r.person_id, r.role.clone())))
        .map(|r| NewNotice {
            person_id: r.person_id,
            role: r.role,
            department_id: r.department_id,
            as_deputy: r.as_deputy,
            reason: r.reason.as_str().to_owned(),
            acknowledge_by: by.clone(),
            escalated_from,
        })
        .collect();
    (notices, routing.unresolved)
}

/// The facts CSIRT recorded, read back.
pub fn facts_of(i: &Incident) -> Facts {
    let f = &i.facts;
    let b = |k: &str| f[k].as_bool().unwrap_or(false);
    Facts {
        confirmed: i.is_incident == Some(true),
        personal_information: b("personal_information"),
        sensitive_personal_information: b("sensitive_personal_information"),
        financial_damage: b("financial_damage"),
        unlawful_intent: b("unlawful_intent"),
        affected_people: f["affected_people"].as_u64().and_then(|n| u32::try_from(n).ok()),
        specific_personal_information: b("specific_personal_information"),
        suspected_crime: b("suspected_crime"),
        residents_affected: b("residents_affected"),
    }
}

/// The external reports the incident's facts require, counted from the day of awareness.
pub fn due_reports(profile: &Profile, i: &Incident) -> Vec<DueReport> {
    if i.is_incident.is_none() {
        return Vec::new();
    }
    let aware = i
        .aware_on
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&jst()).date_naive());
    incident::external_reports(profile, &facts_of(i), aware)
}

pub fn mail_status(state: &AppState) -> &'static str {
    initial_mail_status(state.settings.mail.is_some())
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub escalated: usize,
    /// Reminder mails of external-report deadlines (due tomorrow or earlier, not filed).
    pub reminded: usize,
    pub mailed: usize,
    pub mail_failed: usize,
    /// Weekly digests of what is due in the yearly cycle.
    pub digests: usize,
    /// Mails to the CISO and the 統括 that the ledger writer halted.
    pub ledger_alarms: usize,
    /// Daily anchor mails of the latest checkpoint to the auditors.
    pub anchors: usize,
    /// Cosignatures stored from witnesses the latest checkpoint was pushed to.
    pub witnessed: usize,
    /// Steps that failed this round (logged with their organization; retried next round).
    pub failures: usize,
}

/// Escalates the notices due at `now`, then mails what is unsent.
///
/// Each notice, each mail and each organization's step fails alone: the error is logged with
/// the organization and counted in [`Round::failures`], and the next round retries it. One
/// organization's broken profile or one store error never stops another's escalations.
pub async fn run_due(state: &AppState, now: DateTime<FixedOffset>) -> Result<Round, AppError> {
    let mut round = Round::default();
    let now_text = now.with_timezone(&jst()).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    let mut dirs: HashMap<i64, Directory> = HashMap::new();
    let due = match state.store.due_notices(&now_text).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "reading the notices due failed; the next round retries");
            round.failures += 1;
            Vec::new()
        }
    };
    for n in due {
        match escalate(state, &n, now, &now_text, &mut dirs).await {
            Ok(true) => round.escalated += 1,
            Ok(false) => {}
            Err(e) => {
                round.failures += 1;
                tracing::error!(org_id = n.org_id, notice = n.id, error = %e, "escalating a notice failed; the next round retries");
            }
        }
    }
    round.witnessed = push_to_witnesses(state, now).await;
    if let Some(mail) = &state.settings.mail {
        let mailer = Mailer::new(mail)?;
        // First, and whatever else fails: a halted writer refuses the writes below.
        round.ledger_alarms = mail_ledger_halts(state, &mailer, mail).await;
        round.anchors = mail_anchors(state, &mailer, now).await;
        let (reminded, failed) = remind_deadlines(state, &mailer, mail, now).await;
        round.reminded = reminded;
        round.failures += failed;
        let (digests, failed) = mail_yearly_digests(state, &mailer, mail, now).await;
        round.digests = digests;
        round.failures += failed;
        let unmailed = state.store.unmailed_notices(200).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "reading the unmailed notices failed; the next round retries");
            round.failures += 1;
            Vec::new()
        });
        for n in unmailed {
            match mail_notice(state, &mailer, mail, &n).await {
                Ok(Some(true)) => round.mailed += 1,
                Ok(Some(false)) => round.mail_failed += 1,
                Ok(None) => {}
                Err(e) => {
                    round.failures += 1;
                    tracing::error!(org_id = n.org_id, notice = n.id, error = %e, "recording a notice's mail failed; the next round retries");
                }
            }
        }
    }
    Ok(round)
}

/// Escalates one unacknowledged notice; `false` when someone acknowledged or escalated it
/// meanwhile, or the organization's ledger writer is halted (its officers are mailed).
async fn escalate(
    state: &AppState,
    n: &mamori_store::incidents::Notice,
    now: DateTime<FixedOffset>,
    now_text: &str,
    dirs: &mut HashMap<i64, Directory>,
) -> Result<bool, AppError> {
    let actor = Actor::system("notifier");
    let Some((_, profile)) = state.profile(n.org_id).await? else { return Ok(false) };
    let next = incident::escalation_role(&profile, &n.role);
    let to = match &next {
        Some(role) => {
            let dir = match dirs.entry(n.org_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(directory(state, n.org_id, &now_text[..10]).await?),
            };
            let already: HashSet<(i64, String)> =
                state.store.incident_notices(n.org_id, n.incident_id).await?.into_iter().map(|x| (x.person_id, x.role)).collect();
            notices_for(&profile, &[(role.clone(), Reason::Escalation)], n.incident_department_id, dir, now, &already, Some(n.id)).0
        }
        None => Vec::new(),
    };
    match state.store.escalate_notice(n, &to, next.as_deref(), mail_status(state), &actor).await {
        Ok(()) => Ok(true),
        // Acknowledged or escalated by someone else meanwhile.
        Err(mamori_store::StoreError::WrongState(_)) => Ok(false),
        // The ledger writer halted for this organization: its CISO and 統括 are mailed.
        Err(mamori_store::StoreError::LedgerHalted(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Mails one notice and records the outcome: `Some(true)` sent, `Some(false)` refused by the
/// mail server, `None` no address.
async fn mail_notice(
    state: &AppState,
    mailer: &Mailer,
    mail: &MailSettings,
    n: &mamori_store::incidents::Notice,
) -> Result<Option<bool>, AppError> {
    let actor = Actor::system("notifier");
    let profile = state.profile(n.org_id).await?.map(|(_, p)| p);
    if n.person_email.trim().is_empty() {
        state.store.set_notice_mail(n, "no_address", "", &actor).await?;
        return Ok(None);
    }
    match mailer.send(n, profile.as_deref(), mail).await {
        Ok(()) => {
            state.store.set_notice_mail(n, "sent", "", &actor).await?;
            Ok(Some(true))
        }
        Err(e) => {
            tracing::warn!(org_id = n.org_id, notice = n.id, error = %e, "mailing an incident notice failed");
            state.store.set_notice_mail(n, "failed", &e, &actor).await?;
            Ok(Some(false))
        }
    }
}

/// Mails the holders of each external report's responsible role once a day from the day
/// before its deadline until it is filed.
/// Returns (sent, failed steps); each incident fails alone.
async fn remind_deadlines(state: &AppState, mailer: &Mailer, mail: &MailSettings, now: DateTime<FixedOffset>) -> (usize, usize) {
    let incidents = match state.store.confirmed_open_incidents().await {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(error = %e, "reading the open incidents failed; the next round retries");
            return (0, 1);
        }
    };
    let (mut sent, mut failed) = (0, 0);
    for (org_id, i) in incidents {
        match remind_incident(state, mailer, mail, now, org_id, &i).await {
            Ok(n) => sent += n,
            Err(e) => {
                failed += 1;
                tracing::error!(org_id, incident = i.id, error = %e, "a deadline reminder failed; the next round retries");
            }
        }
    }
    (sent, failed)
}

async fn remind_incident(
    state: &AppState,
    mailer: &Mailer,
    mail: &MailSettings,
    now: DateTime<FixedOffset>,
    org_id: i64,
    i: &Incident,
) -> Result<usize, AppError> {
    let actor = Actor::system("notifier");
    let today = now.with_timezone(&jst()).date_naive();
    let mut sent = 0;
    {
        let Some((_, profile)) = state.profile(org_id).await? else { return Ok(0) };
        let filed: HashSet<String> = state.store.external_filings(org_id, i.id).await?.into_iter().map(|f| f.report_id).collect();
        let soon: Vec<DueReport> = due_reports(&profile, i)
            .into_iter()
            .filter(|d| !filed.contains(&d.id) && d.due_on.is_some_and(|x| x <= today + chrono::Days::new(1)))
            .collect();
        if soon.is_empty() {
            return Ok(0);
        }
        let dir = directory(state, org_id, &today.to_string()).await?;
        for d in soon {
            if !state.store.claim_deadline_reminder(org_id, i.id, &d.id, &today.to_string(), &actor).await? {
                continue;
            }
            let routing = incident::route(&profile, &[(d.responsible.clone(), Reason::Level)], i.department_id, &dir);
            for r in routing.recipients {
                let person = state.store.person(org_id, r.person_id).await?;
                if person.email.trim().is_empty() {
                    continue;
                }
                match mailer.send_reminder(&person, i, &d, today, &mail.base_url).await {
                    Ok(()) => sent += 1,
                    Err(e) => tracing::warn!(incident = i.id, report = %d.id, error = %e, "mailing a deadline reminder failed"),
                }
            }
        }
    }
    Ok(sent)
}

/// Mails each person, once a week, what they owe in the yearly cycle: training not taken,
/// self-assessment items unanswered, improvement plans overdue, checks asked of them.
/// Returns (sent, failed organizations); each organization fails alone.
async fn mail_yearly_digests(state: &AppState, mailer: &Mailer, mail: &MailSettings, now: DateTime<FixedOffset>) -> (usize, usize) {
    let orgs = match state.store.organizations().await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "reading the organizations failed; the next round retries");
            return (0, 1);
        }
    };
    let (mut sent, mut failed) = (0, 0);
    for org in orgs {
        match digests_of(state, mailer, mail, now, org.id).await {
            Ok(n) => sent += n,
            Err(e) => {
                failed += 1;
                tracing::error!(org_id = org.id, error = %e, "the weekly digests failed; the next round retries");
            }
        }
    }
    (sent, failed)
}

async fn digests_of(
    state: &AppState,
    mailer: &Mailer,
    mail: &MailSettings,
    now: DateTime<FixedOffset>,
    org_id: i64,
) -> Result<usize, AppError> {
    use chrono::Datelike;
    let actor = Actor::system("notifier");
    let today = now.with_timezone(&jst()).date_naive();
    let week_of = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let mut sent = 0;
    {
        let claimed: HashSet<i64> = state.store.yearly_digests_sent(org_id, week_of).await?.into_iter().collect();
        let data = crate::routes::yearly::year_data(state, org_id, today).await?;
        for s in &data.standings {
            let person = &s.member;
            if person.email.trim().is_empty() || claimed.contains(&person.id) {
                continue;
            }
            let lines = crate::routes::yearly::reminder_lines(&data, person.id);
            if lines.is_empty() || !state.store.claim_yearly_digest(org_id, person.id, week_of, &actor).await? {
                continue;
            }
            match mailer.send_digest(&person.name, &person.email, &lines, &mail.base_url).await {
                Ok(()) => sent += 1,
                Err(e) => tracing::warn!(person = person.id, error = %e, "mailing a yearly-cycle digest failed"),
            }
        }
    }
    Ok(sent)
}

/// Mails the CISO and the 統括 of each organization whose ledger writer halted, once per
/// halt (the database refuses writes then, so the claim is the store's memory).
async fn mail_ledger_halts(state: &AppState, mailer: &Mailer, mail: &MailSettings) -> usize {
    let mut sent = 0;
    for (org_id, halt) in state.store.unreported_ledger_halts() {
        let people = match ledger_officers(state, org_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(org_id, error = %e, "cannot find whom to tell that the ledger halted");
                continue;
            }
        };
        if people.is_empty() {
            tracing::error!(org_id, "the ledger halted and no CISO or 統括 with a mail address is assigned");
        }
        let body = format!(
            "台帳の書き込みを停止しました（{at}）。\n\n\
             理由: {reason}\n\n\
             保存されている記録が、このサーバーが署名した記録と一致しません。サーバーはこれ以上署名せず、変更の受付を停止しています。\
             閲覧はできます。\n\
             `mamori ledger verify` で記録を検証し、アンカーや立会人の連署と照合してください。原因を確かめるまで、データベースを修正したり\
             署名鍵を使ったりしないでください（停止の証拠が失われます）。\n{base}/ledger\n",
            at = halt.at,
            reason = halt.reason,
            base = mail.base_url.trim_end_matches('/'),
        );
        for (name, email) in people {
            match mailer.send_text(&name, &email, "【mamori・警告】台帳の書き込みを停止しました", &body).await {
                Ok(()) => sent += 1,
                Err(e) => tracing::error!(org_id, error = %e, "mailing the ledger halt failed"),
            }
        }
    }
    sent
}

/// The holders of the roles that do the CISO's and the 統括's jobs under the active profile,
/// with their mail addresses.
async fn ledger_officers(state: &AppState, org_id: i64) -> Result<Vec<(String, String)>, AppError> {
    use mamori_policy::workflow::{roles_doing, WorkflowRole};
    let Some(active) = state.active(org_id).await? else { return Ok(Vec::new()) };
    let mut officers = roles_doing(&active.profile, WorkflowRole::Ciso);
    officers.extend(roles_doing(&active.profile, WorkflowRole::SecurityDirector));
    let mut out: Vec<(String, String)> = Vec::new();
    for a in state.store.role_assignments(org_id).await? {
        if !officers.contains(&a.role) {
            continue;
        }
        let person = state.store.person(org_id, a.person_id).await?;
        if !person.email.trim().is_empty() && !out.iter().any(|(_, e)| e == person.email.trim()) {
            out.push((person.name.clone(), person.email.trim().to_owned()));
        }
    }
    Ok(out)
}

/// Mails the latest checkpoint (with its witnesses' cosignatures) to the auditors'
/// addresses once a day, and records it as an anchor taken by mail.
async fn mail_anchors(state: &AppState, mailer: &Mailer, now: DateTime<FixedOffset>) -> usize {
    let to = &state.settings.ledger.anchor_mail_to;
    if to.is_empty() {
        return 0;
    }
    let today = now.with_timezone(&jst()).date_naive().to_string();
    let mut sent = 0;
    let Ok(orgs) = state.store.organizations().await else { return 0 };
    for org in orgs {
        if state.store.ledger_halt(org.id).is_some() {
            continue;
        }
        match state.store.anchor_mailed_on(org.id, &today).await {
            Ok(false) => {}
            Ok(true) => continue,
            Err(e) => {
                tracing::warn!(org = org.id, error = %e, "cannot tell whether today's anchor was mailed");
                continue;
            }
        }
        let Ok(Some((size, mut text))) = state.store.latest_cosigned(org.id).await else { continue };
        // The latest checkpoint the witnesses cosigned, when it is not the latest itself.
        if let Ok(Some((witnessed, cosigned))) = state.store.latest_witnessed(org.id).await {
            if witnessed < size {
                text.push_str(&format!("\n立会人が連署した最新のチェックポイント（件数 {witnessed}）:\n\n{cosigned}"));
            }
        }
        let body = format!(
            "{name}の変更記録（台帳）の、{today} 時点の最新の署名付きチェックポイントです（件数 {size}）。\n\n\
             このメールを削除せず、mamori のサーバーとは別の場所（監査の記録、別のメールボックス、印刷）に保管してください。\
             後で台帳が書き換えられたり切り詰められたりしても、次のコマンドで検出できます。\n\
             mamori ledger verify --anchor このチェックポイントを保存したファイル\n\n{text}",
            name = org.name,
        );
        let subject = format!("【mamori・アンカー】{} 台帳のチェックポイント（{today}、件数 {size}）", org.name);
        let mut ok = 0;
        for addr in to {
            match mailer.send_text("", addr, &subject, &body).await {
                Ok(()) => ok += 1,
                Err(e) => tracing::warn!(org = org.id, to = %addr, error = %e, "mailing the daily anchor failed"),
            }
        }
        if ok > 0 {
            sent += ok;
            if let Ok(Some(latest)) = state.store.checkpoint_at(org.id, size).await {
                if let Err(e) = state.store.record_anchor(org.id, &latest, "mail", &Actor::system("notifier")).await {
                    tracing::warn!(org = org.id, error = %e, "recording the mailed anchor failed");
                }
            }
        }
    }
    sent
}

/// When each witness was last pushed each organization's checkpoint, and the size it said
/// it holds: in memory, as a push changes nothing the database must remember (what the
/// witness cosigned is stored as its cosignature).
static PUSHED: std::sync::Mutex<Option<HashMap<PushTarget, Pushed>>> = std::sync::Mutex::new(None);

/// A witness's URL and an organization.
type PushTarget = (String, i64);
/// When it was last pushed, and the size the witness holds.
type Pushed = (DateTime<FixedOffset>, u64);

/// Pushes each organization's latest checkpoint, with the consistency proof from the size
/// the witness holds, to every configured witness that is due, in tlog-witness's
/// add-checkpoint form; stores the cosignatures that come back (as a witness's POST would).
/// A witness that answers 409 with the size it holds is asked again from that size.
async fn push_to_witnesses(state: &AppState, now: DateTime<FixedOffset>) -> usize {
    let ledger = &state.settings.ledger;
    if ledger.witness_urls.is_empty() {
        return 0;
    }
    let every = chrono::Duration::from_std(ledger.witness_push_every).unwrap_or(chrono::Duration::hours(1));
    let Ok(http) = reqwest::Client::builder().timeout(Duration::from_secs(20)).build() else { return 0 };
    let Ok(orgs) = state.store.organizations().await else { return 0 };
    let mut stored = 0;
    for org in orgs {
        if state.store.ledger_halt(org.id).is_some() {
            continue;
        }
        for url in &ledger.witness_urls {
            let key = (url.clone(), org.id);
            let last = PUSHED.lock().ok().and_then(|m| m.as_ref().and_then(|m| m.get(&key).copied()));
            if last.is_some_and(|(at, _)| now - at < every) {
                continue;
            }
            let mut from = last.map_or(0, |(_, size)| size);
            let mut held = from;
            for _attempt in 0..2 {
                let request = match state.store.witness_request(org.id, from).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(org = org.id, witness = %url, error = %e, "cannot make the witness's request");
                        break;
                    }
                };
                let endpoint = format!("{}/add-checkpoint", url.trim_end_matches('/'));
                let response = match http.post(&endpoint).body(request.to_text()).send().await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(org = org.id, witness = %url, error = %e, "pushing the checkpoint to the witness failed");
                        break;
                    }
                };
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                if status == 409 {
                    // The witness holds another size: ask again from it.
                    match body.trim().parse::<u64>() {
                        Ok(size) if size != from => {
                            from = size;
                            continue;
                        }
                        _ => {
                            tracing::error!(org = org.id, witness = %url, answer = %body.trim(), "the witness refused the checkpoint");
                            break;
                        }
                    }
                }
                if status != 200 {
                    tracing::error!(org = org.id, witness = %url, status, answer = %body.trim(), "the witness refused the checkpoint");
                    break;
                }
                // The answer is the cosignature line(s) alone, not a note.
                for line in body.lines().filter(|l| l.starts_with("— ")) {
                    match state.store.add_cosignature(org.id, &request.checkpoint, line, &Actor::system("witness")).await {
                        Ok(_) => stored += 1,
                        Err(e) => tracing::warn!(org = org.id, witness = %url, error = %e, "the witness's cosignature was not stored"),
                    }
                }
                held = request.checkpoint.split('\n').nth(1).and_then(|s| s.parse().ok()).unwrap_or(from);
                break;
            }
            if let Ok(mut m) = PUSHED.lock() {
                m.get_or_insert_with(HashMap::new).insert(key, (now, held));
            }
        }
    }
    stored
}

/// Runs [`run_due`] every [`TICK`] until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    let state = Arc::new(state);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK);
        loop {
            every.tick().await;
            let now = chrono::Utc::now().with_timezone(&jst());
            if let Err(e) = run_due(&state, now).await {
                tracing::warn!(error = %e, "incident notifier round failed");
            }
        }
    })
}

/// Whether `text` is a mail address lettre accepts as a sender (`名前 <a@b>` or `a@b`).
pub fn is_mailbox(text: &str) -> bool {
    text.parse::<Mailbox>().is_ok()
}

struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Checks the mail settings at start-up, so that a wrong URL or sender stops the server with
/// a clear message instead of failing every round. The message never shows the URL's password.
pub fn check_mail_settings(mail: &MailSettings) -> Result<(), String> {
    Mailer::new(mail).map(|_| ()).map_err(|e| match e {
        AppError::Internal(m) => m,
        other => other.to_string(),
    })
}

impl Mailer {
    fn new(mail: &MailSettings) -> Result<Self, AppError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&mail.smtp_url)
            .map_err(|e| AppError::internal(format!("MAMORI_SMTP_URL {}: {e}", crate::settings::redact_url(&mail.smtp_url))))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = mail.from.parse().map_err(|e| AppError::internal(format!("MAMORI_MAIL_FROM {}: {e}", mail.from)))?;
        Ok(Self { transport, from })
    }

    async fn send_reminder(
        &self,
        person: &mamori_store::org::Person,
        i: &Incident,
        d: &DueReport,
        today: NaiveDate,
        base_url: &str,
    ) -> Result<(), String> {
        let to: Mailbox =
            format!("{} <{}>", person.name, person.email.trim()).parse().map_err(|e| format!("宛先 {}: {e}", person.email))?;
        let due = d.due_on.map(|x| x.to_string()).unwrap_or_default();
        let when = match d.due_on {
            Some(x) if x < today => "期限を過ぎています",
            Some(x) if x == today => "期限は今日です",
            _ => "期限は明日です",
        };
        let body = format!(
            "{name} 様\n\nインシデント報告 第{id}号について、{addressee}への{kind}の{when}（期限 {due}、{law}{clause}）。\n\
             報告したら、次のページで「報告を記録」してください。記録されるまで毎日お知らせします。\n{base}/incidents/{id}\n",
            name = person.name,
            id = i.id,
            addressee = d.addressee,
            kind = d.kind,
            law = d.law.as_deref().map(|l| format!("{l}、")).unwrap_or_default(),
            clause = d.clause,
            base = base_url.trim_end_matches('/'),
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("【mamori・期限】インシデント報告 第{}号: {}への{}（期限 {due}）", i.id, d.addressee, d.kind))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn send_text(&self, name: &str, email: &str, subject: &str, body: &str) -> Result<(), String> {
        let address = if name.is_empty() { email.trim().to_owned() } else { format!("{name} <{}>", email.trim()) };
        let to: Mailbox = address.parse().map_err(|e| format!("宛先 {email}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn send_digest(&self, name: &str, email: &str, lines: &[String], base_url: &str) -> Result<(), String> {
        let to: Mailbox = format!("{name} <{}>", email.trim()).parse().map_err(|e| format!("宛先 {email}: {e}"))?;
        let mut body = format!("{name} 様\n\n情報セキュリティの年間の取組について、対応が必要なものをお知らせします（毎週1回）。\n\n");
        for l in lines {
            body.push_str(&format!("・{l}\n"));
        }
        body.push_str(&format!("\n詳しくは mamori のダッシュボードをご覧ください。\n{}/\n", base_url.trim_end_matches('/')));
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("【mamori】研修・自己点検・改善計画のお知らせ（{}件）", lines.len()))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn send(&self, n: &Notice, profile: Option<&Profile>, mail: &MailSettings) -> Result<(), String> {
        let to: Mailbox =
            format!("{} <{}>", n.person_name, n.person_email.trim()).parse().map_err(|e| format!("宛先 {}: {e}", n.person_email))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject(n))
            .header(ContentType::TEXT_PLAIN)
            .body(body(n, profile, &mail.base_url))
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

fn level_text(level: Option<i64>) -> String {
    level.map(|l| format!("レベル{l}")).unwrap_or_else(|| "レベル未判断".to_owned())
}

pub fn subject(n: &Notice) -> String {
    let head = if n.reason == Reason::Escalation.as_str() { "【mamori・未確認のため通知】" } else { "【mamori】" };
    format!("{head}インシデント報告 第{}号（{}）の確認をお願いします", n.incident_id, level_text(n.incident_level))
}

/// The mail says that there is a report and where to read it, not what it says: the report
/// itself may be 機密性2 or higher and stays in mamori.
pub fn body(n: &Notice, profile: Option<&Profile>, base_url: &str) -> String {
    let role =
        profile.and_then(|p| p.roles.iter().find(|r| r.id.as_str() == n.role)).map(|r| r.name.clone()).unwrap_or_else(|| n.role.clone());
    let capacity = if n.as_deputy { format!("{role}（代理）") } else { role };
    let minutes = profile.map(incident::acknowledge_within_minutes).unwrap_or(60);
    format!(
        "{name} 様\n\n\
         {capacity}として、インシデント報告 第{id}号（{level}）の通知が届いています。\n\n\
         次のページで内容を確認し、「確認しました」を押してください。\n\
         {base}/incidents/{id}\n\n\
         通知から{minutes}分以内に確認がない場合、上位の役割へ通知します（確認期限 {by}）。\n\
         このメールには報告の内容を記載していません。内容は mamori でのみ確認できます。\n",
        name = n.person_name,
        id = n.incident_id,
        level = level_text(n.incident_level),
        base = base_url.trim_end_matches('/'),
        by = n.acknowledge_by.get(..16).unwrap_or(&n.acknowledge_by).replace('T', " "),
    )
}

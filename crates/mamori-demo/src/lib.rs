//! Demo data for mamori: a town shaped like 志免町, with its organization chart, staff, role
//! assignments by the 志免町 profile, information systems and an asset register across every
//! class, medium and zone. The same generator fills the large database of the asset-register
//! benchmark. Everything is deterministic from the seed.

mod data;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use anyhow::{anyhow, Context};
use mamori_store::assets::{AssetFields, Classes};
use mamori_store::org::StaffRow;
use mamori_store::systems::SystemFields;
use mamori_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use data::{Home, SubjectRef};

/// How big a town to make.
#[derive(Debug, Clone)]
pub struct DemoScale {
    /// Approximate number of departments below the 部: the 20 課 and 事務局 always, then 総務課
    /// 情報係, schools and nurseries, the other 係, and further facilities (公民館, 児童館,
    /// 出張所 …) until the target is reached. The 部 come in addition.
    pub departments_target: usize,
    pub staff: usize,
    pub assets: usize,
    /// Number of information systems (at most the 27 the town knows).
    pub systems: usize,
}

impl DemoScale {
    /// A small town: 20 課 plus 情報係, 6 schools and 3 nurseries; 300 staff; 2,000 assets.
    pub fn town() -> Self {
        Self { departments_target: 30, staff: 300, assets: 2_000, systems: 25 }
    }

    /// The benchmark: a million assets, 50,000 staff, about 200 departments.
    pub fn bench() -> Self {
        Self { departments_target: 200, staff: 50_000, assets: 1_000_000, systems: 27 }
    }
}

/// What [`populate`] made, and the ids a demo needs to create users.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub departments: usize,
    /// Departments that are 課 or 事務局.
    pub sections: usize,
    pub posts: usize,
    pub people: usize,
    pub systems: usize,
    pub assets: usize,
    pub undecided_assets: usize,
    pub role_assignments: usize,
    pub somu_department_id: i64,
    pub jumin_department_id: i64,
    pub joho_department_id: i64,
    /// The 副町長.
    pub ciso_person_id: i64,
    /// The 総務課長.
    pub security_director_person_id: i64,
    /// The 住民課長.
    pub security_manager_person_id: i64,
    /// The 総務課 情報係長, first CSIRT member.
    pub csirt_person_id: i64,
    /// A 主事 of 住民課 without any role.
    pub staff_person_id: i64,
}

/// One department to create.
struct DeptPlan {
    code: String,
    name: String,
    parent: Option<usize>,
    kind: &'static str,
    /// Index of the 課 this department belongs to (itself for a 課); `None` for a 部.
    section: Option<usize>,
    /// The 課 code, for matching asset subjects and systems.
    section_code: &'static str,
    /// Post of the head, who is created in this department.
    head_post: &'static str,
    weight: u32,
    id: i64,
}

fn plan_departments(target: usize) -> Vec<DeptPlan> {
    let mut plan: Vec<DeptPlan> = Vec::new();
    let mut units: Vec<(usize, &'static str, String)> = Vec::new(); // (section index, name, code)
    for bureau in data::CHART {
        let bureau_index = if bureau.name.is_empty() {
            None
        } else {
            plan.push(DeptPlan {
                code: bureau.code.to_owned(),
                name: bureau.name.to_owned(),
                parent: None,
                kind: "bureau",
                section: None,
                section_code: "",
                head_post: "部長",
                weight: 1,
                id: 0,
            });
            Some(plan.len() - 1)
        };
        for s in bureau.sections {
            let index = plan.len();
            plan.push(DeptPlan {
                code: s.code.to_owned(),
                name: s.name.to_owned(),
                parent: bureau_index,
                kind: "section",
                section: Some(index),
                section_code: s.code,
                head_post: s.head,
                weight: s.weight,
                id: 0,
            });
            for (n, u) in s.units.iter().enumerate() {
                units.push((index, u, format!("{}{:02}", s.code, n + 1)));
            }
        }
    }
    let sections = plan.len() - data::CHART.iter().filter(|b| !b.name.is_empty()).count();
    let section_index = |code: &str, plan: &[DeptPlan]| plan.iter().position(|d| d.code == code).expect("section in chart");
    let push_unit = |plan: &mut Vec<DeptPlan>, (s, name, code): &(usize, &'static str, String)| {
        let section_code = plan[*s].section_code;
        plan.push(DeptPlan {
            code: code.clone(),
            name: (*name).to_owned(),
            parent: Some(*s),
            kind: "unit",
            section: Some(*s),
            section_code,
            head_post: "係長",
            weight: (plan[*s].weight / 2).max(2),
            id: 0,
        });
    };
    let mut facility_serial: HashMap<&str, usize> = HashMap::new();
    let push_facility = |plan: &mut Vec<DeptPlan>, serial: &mut HashMap<&str, usize>, name: String, f: usize| {
        let (kind, _, supervisor, head) = data::FACILITIES[f];
        let s = section_index(supervisor, plan);
        let n = serial.entry(supervisor).or_insert(0);
        *n += 1;
        plan.push(DeptPlan {
            code: format!("{}9{:03}", supervisor, n),
            name,
            parent: Some(s),
            kind,
            section: Some(s),
            section_code: supervisor,
            head_post: head,
            weight: match kind {
                "nursery" => 5,
                "school" => 3,
                _ => 2,
            },
            id: 0,
        });
    };

    // 情報係 first: the CSIRT lives there.
    let joho = units.iter().position(|u| u.2 == data::JOHO).expect("情報係 in chart");
    push_unit(&mut plan, &units.remove(joho));
    let below = |plan: &Vec<DeptPlan>| plan.iter().filter(|d| d.kind != "bureau").count();
    let mut used: HashSet<String> = HashSet::new();
    for (district, f) in data::BASE_FACILITIES {
        if below(&plan) >= target.max(sections + 1) {
            break;
        }
        let name = format!("{}{}", district, data::FACILITIES[*f].1);
        used.insert(name.clone());
        push_facility(&mut plan, &mut facility_serial, name, *f);
    }
    for u in &units {
        if below(&plan) >= target {
            break;
        }
        push_unit(&mut plan, u);
    }
    let mut round = 0;
    'outer: while below(&plan) < target {
        for district in data::DISTRICTS {
            for (f, (_, suffix, _, _)) in data::FACILITIES.iter().enumerate() {
                if below(&plan) >= target {
                    break 'outer;
                }
                let name = if round == 0 {
                    format!("{district}{suffix}")
                } else {
                    format!("{district}第{}{suffix}", ["", "二", "三", "四", "五", "六", "七", "八", "九"][round.min(8)])
                };
                if round > 8 || !used.insert(name.clone()) {
                    continue;
                }
                push_facility(&mut plan, &mut facility_serial, name, f);
            }
        }
        round += 1;
        if round > 9 {
            break;
        }
    }
    plan
}

/// One person to import, before the database knows them.
struct StaffPlan {
    staff_no: String,
    dept: usize,
    post: &'static str,
    employment: &'static str,
}

fn plan_staff(depts: &[DeptPlan], staff: usize, rng: &mut StdRng) -> Vec<StaffPlan> {
    let mut people = Vec::with_capacity(staff);
    fn push(people: &mut Vec<StaffPlan>, dept: usize, post: &'static str, employment: &'static str) {
        people.push(StaffPlan { staff_no: String::new(), dept, post, employment });
    }
    let somu = depts.iter().position(|d| d.code == data::SOMU).expect("総務課");
    push(&mut people, somu, "町長", "regular");
    push(&mut people, somu, "副町長", "regular");
    let kyoiku = depts.iter().position(|d| d.code == "04").expect("教育部");
    push(&mut people, kyoiku, "教育長", "regular");
    // Heads of every department, and a 係長 in each 課 that has no 係 of its own.
    for (i, d) in depts.iter().enumerate() {
        push(&mut people, i, d.head_post, "regular");
        if d.kind == "section" && !depts.iter().any(|u| u.kind == "unit" && u.parent == Some(i)) {
            push(&mut people, i, "係長", "regular");
        }
    }
    let fixed = people.len();
    let rest = staff.saturating_sub(fixed);
    let total_weight: u32 = depts.iter().map(|d| if d.kind == "bureau" { 0 } else { d.weight }).sum();
    let mut share: Vec<usize> =
        depts.iter().map(|d| if d.kind == "bureau" { 0 } else { rest * d.weight as usize / total_weight as usize }).collect();
    let mut missing = rest - share.iter().sum::<usize>();
    let candidates: Vec<usize> = (0..depts.len()).filter(|&i| depts[i].kind != "bureau").collect();
    while missing > 0 {
        share[*candidates.choose(rng).expect("departments")] += 1;
        missing -= 1;
    }
    for (i, d) in depts.iter().enumerate() {
        let technical = matches!(d.section_code, "0301" | "0302" | "0303");
        for n in 0..share[i] {
            let roll: f64 = rng.gen();
            let (post, employment) = if d.kind == "section" && n == 0 && share[i] >= 8 {
                ("課長補佐", "regular")
            } else if roll < 0.03 && d.kind != "nursery" && d.kind != "school" {
                ("", "contractor")
            } else if roll < 0.30 {
                ("会計年度任用職員", "fiscal_year")
            } else {
                let r: f64 = rng.gen();
                let post = match d.kind {
                    "nursery" if r < 0.8 => "保育士",
                    "school" => "学校事務職員",
                    _ if technical && r < 0.4 => "技師",
                    _ if r < 0.25 => "主査",
                    _ if r < 0.5 => "主任主事",
                    _ => "主事",
                };
                (post, "regular")
            };
            push(&mut people, i, post, employment);
        }
    }
    // Staff numbers follow the departments' order, heads first, as a personnel list would.
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_by_key(|&i| (i >= fixed, people[i].dept));
    let mut sorted: Vec<StaffPlan> = Vec::with_capacity(people.len());
    let mut taken: Vec<Option<StaffPlan>> = people.into_iter().map(Some).collect();
    for (n, i) in order.into_iter().enumerate() {
        let mut p = taken[i].take().expect("each person once");
        p.staff_no = format!("{:06}", 100_001 + n);
        sorted.push(p);
    }
    sorted
}

fn person_name(rng: &mut StdRng) -> (String, String, &'static str) {
    let (s, sk, sr) = data::SURNAMES[rng.gen_range(0..data::SURNAMES.len())];
    let (g, gk, _) = data::GIVEN_NAMES[rng.gen_range(0..data::GIVEN_NAMES.len())];
    (format!("{s} {g}"), format!("{sk} {gk}"), sr)
}

fn pick_medium(weights: [u32; 3], rng: &mut StdRng) -> &'static str {
    let total: u32 = weights.iter().sum();
    let mut r = rng.gen_range(0..total);
    for (w, m) in weights.iter().zip(["electronic", "paper", "removable_media"]) {
        if r < *w {
            return m;
        }
        r -= w;
    }
    "electronic"
}

fn era_year(rng: &mut StdRng) -> String {
    let y = rng.gen_range(0..12);
    if y < 5 {
        format!("平成{}年度", 26 + y)
    } else {
        format!("令和{}年度", y - 4)
    }
}

struct SystemRef {
    id: i64,
    name: &'static str,
    zone: &'static str,
}

/// Fills the organization with a town. The organization should be empty: departments are
/// created by code and a second run fails on the first duplicate.
pub async fn populate(store: &Store, org_id: i64, scale: &DemoScale, seed: u64, progress: bool) -> anyhow::Result<DemoSummary> {
    let started = Instant::now();
    let say = |what: &str| {
        if progress {
            eprintln!("[{:>7.1}s] {what}", started.elapsed().as_secs_f64());
        }
    };
    let actor = Actor::system("demo");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut summary = DemoSummary::default();

    // Departments, parents first.
    let mut depts = plan_departments(scale.departments_target);
    for i in 0..depts.len() {
        let parent = depts[i].parent.map(|p| depts[p].id);
        let d = store
            .create_department(org_id, &depts[i].code, &depts[i].name, parent, depts[i].kind, &actor)
            .await
            .with_context(|| format!("department {}", depts[i].name))?;
        depts[i].id = d.id;
    }
    summary.departments = depts.len();
    summary.sections = depts.iter().filter(|d| d.kind == "section").count();
    let dept_by_code = |code: &str| depts.iter().position(|d| d.code == code).expect("known department");
    summary.somu_department_id = depts[dept_by_code(data::SOMU)].id;
    summary.jumin_department_id = depts[dept_by_code(data::JUMIN)].id;
    summary.joho_department_id = depts[dept_by_code(data::JOHO)].id;
    say(&format!("{} departments", depts.len()));

    // Posts with their ranks, before the staff list would create them with rank 0.
    let existing: HashSet<String> = store.posts(org_id).await?.into_iter().map(|p| p.name).collect();
    for (name, rank) in data::POSTS {
        if !existing.contains(*name) {
            store.create_post(org_id, name, *rank, &actor).await?;
        }
    }
    summary.posts = store.posts(org_id).await?.len();

    // Staff, through the staff-list import.
    let staff = plan_staff(&depts, scale.staff, &mut rng);
    let rows: Vec<StaffRow> = staff
        .iter()
        .map(|p| {
            let (name, kana, romaji) = person_name(&mut rng);
            let d = &depts[p.dept];
            StaffRow {
                staff_no: p.staff_no.clone(),
                name,
                kana,
                email: format!("{romaji}-{}@town.shime.lg.jp", p.staff_no),
                department_code: d.code.clone(),
                department_name: d.name.clone(),
                parent_department_code: d.parent.map(|x| depts[x].code.clone()).unwrap_or_default(),
                post: p.post.to_owned(),
                employment: p.employment.to_owned(),
            }
        })
        .collect();
    let mut imported = 0;
    for chunk in rows.chunks(5_000) {
        store.import_staff(org_id, chunk, "demo-staff.csv", &actor).await?;
        imported += chunk.len();
        say(&format!("staff {imported}/{}", rows.len()));
    }
    let people = store.people(org_id, None, i64::MAX, 0).await?;
    let id_of: HashMap<&str, i64> = people.iter().map(|p| (p.staff_no.as_str(), p.id)).collect();
    let pid = |p: &StaffPlan| id_of.get(p.staff_no.as_str()).copied().ok_or_else(|| anyhow!("staff {} not imported", p.staff_no));
    summary.people = staff.len();
    let head_of = |dept: usize| staff.iter().find(|p| p.dept == dept && p.post == depts[dept].head_post);
    let find = |post: &str| staff.iter().find(|p| p.post == post);

    // Role assignments by the 志免町 profile.
    let mut roles: Vec<(&'static str, i64, Option<i64>)> = Vec::new();
    let fukuchocho = find("副町長").ok_or_else(|| anyhow!("no 副町長"))?;
    roles.push(("ciso", pid(fukuchocho)?, None));
    let somu = dept_by_code(data::SOMU);
    let somu_kacho = head_of(somu).ok_or_else(|| anyhow!("no 総務課長"))?;
    roles.push(("security_director", pid(somu_kacho)?, None));
    summary.ciso_person_id = pid(fukuchocho)?;
    summary.security_director_person_id = pid(somu_kacho)?;
    // 情報セキュリティ管理者: the 課長 for the 課 and everything under it, the 部長 for the 部.
    for (i, d) in depts.iter().enumerate() {
        let holder = match d.section {
            Some(s) => head_of(s),
            None => head_of(i),
        };
        if let Some(h) = holder {
            roles.push(("security_manager", pid(h)?, Some(d.id)));
        }
    }
    // 情報セキュリティ担当者: 係長, and the heads of schools, nurseries and facilities.
    for p in &staff {
        let d = &depts[p.dept];
        let facility = matches!(d.kind, "school" | "nursery" | "facility") && p.post == d.head_post;
        if p.post == "係長" || facility {
            roles.push(("security_officer", pid(p)?, Some(d.id)));
        }
    }
    // CSIRT: the 情報係.
    let joho = dept_by_code(data::JOHO);
    let joho_staff: Vec<&StaffPlan> =
        staff.iter().filter(|p| p.dept == joho && (p.post == "係長" || p.employment == "regular")).take(4).collect();
    for p in &joho_staff {
        roles.push(("csirt", pid(p)?, None));
    }
    summary.csirt_person_id = joho_staff.first().map(|p| pid(p)).transpose()?.unwrap_or_default();

    // Systems, managed by the owning 課長 and operated by someone of that 課.
    let mut systems: Vec<SystemRef> = Vec::new();
    for spec in data::SYSTEMS.iter().take(scale.systems) {
        let s = dept_by_code(spec.section);
        let manager = head_of(s).map(&pid).transpose()?;
        let operators: Vec<&StaffPlan> =
            staff.iter().filter(|p| depts[p.dept].section == Some(s) && matches!(p.post, "主査" | "主任主事" | "主事" | "技師")).collect();
        // The systems of 総務課 are operated by the 情報係.
        let operators = if spec.section == data::SOMU {
            let j: Vec<&StaffPlan> = operators.iter().copied().filter(|p| p.dept == joho).collect();
            if j.is_empty() {
                operators
            } else {
                j
            }
        } else {
            operators
        };
        let operator = operators.choose(&mut rng).map(|p| pid(p)).transpose()?;
        let documents = ["仕様書", "ネットワーク構成図", "運用手順書", "保守契約書"]
            .iter()
            .map(|d| format!("{}{d}", spec.name))
            .collect::<Vec<_>>()
            .join("\n");
        let sys = store
            .create_system(
                org_id,
                &SystemFields {
                    name: spec.name.to_owned(),
                    description: spec.description.to_owned(),
                    zone: Some(spec.zone.to_owned()),
                    department_id: depts[s].id,
                    manager_person_id: manager,
                    operator_person_id: operator,
                    requires_mfa: spec.mfa,
                    backup: spec.backup,
                    redundancy: spec.redundancy,
                    log_retention_days: Some(spec.log_days),
                    cloud_services: spec.cloud.to_owned(),
                    contractors: spec.contractors.to_owned(),
                    documents,
                },
                &actor,
            )
            .await?;
        if let Some(m) = manager {
            roles.push(("system_manager", m, Some(depts[s].id)));
        }
        if let Some(o) = operator {
            roles.push(("system_operator", o, Some(depts[s].id)));
        }
        systems.push(SystemRef { id: sys.id, name: spec.name, zone: spec.zone });
    }
    summary.systems = systems.len();
    say(&format!("{} systems", systems.len()));

    let mut seen = HashSet::new();
    roles.retain(|r| seen.insert(*r));
    for (role, person, dept) in &roles {
        store.assign_role(org_id, role, *person, *dept, false, &actor).await?;
    }
    summary.role_assignments = roles.len();
    say(&format!("{} role assignments", roles.len()));

    let jumin = dept_by_code(data::JUMIN);
    let with_role: HashSet<i64> = roles.iter().map(|r| r.1).collect();
    summary.security_manager_person_id = head_of(jumin).map(&pid).transpose()?.unwrap_or_default();
    summary.staff_person_id = staff
        .iter()
        .filter(|p| p.dept == jumin && p.post == "主事")
        .chain(staff.iter().filter(|p| p.employment == "regular"))
        .map(&pid)
        .find(|id| id.as_ref().is_ok_and(|id| !with_role.contains(id)))
        .transpose()?
        .unwrap_or_default();

    seed_training(store, org_id, &people, summary.security_director_person_id, &mut rng, &actor).await?;
    say("training sessions");

    // Assets.
    let generator = AssetGenerator::new(&depts, &systems);
    let mut undecided = 0;
    let mut made = 0;
    while made < scale.assets {
        let n = (scale.assets - made).min(10_000);
        let items: Vec<(AssetFields, Classes)> = (0..n).map(|_| generator.asset(&mut rng)).collect();
        undecided += items.iter().filter(|(_, c)| c.is_undecided()).count();
        store.create_assets_bulk(org_id, &items, &actor).await?;
        made += n;
        if made % 100_000 == 0 || made == scale.assets {
            say(&format!("assets {made}/{}", scale.assets));
        }
    }
    summary.assets = made;
    summary.undecided_assets = undecided;
    say("done");
    Ok(summary)
}

/// This fiscal year's training so far (対策基準5.2): the all-staff session most attended, the
/// new-staff session in April for those who joined on April 1st, the consents of the
/// 会計年度任用職員, and a drill planned a month ahead — so that the pages and the annual
/// report have something to show, and some people are still due.
async fn seed_training(
    store: &Store,
    org_id: i64,
    people: &[mamori_store::org::Person],
    director: i64,
    rng: &mut StdRng,
    actor: &Actor,
) -> anyhow::Result<()> {
    use mamori_policy::yearly::FiscalYear;
    use mamori_store::training::{Attendance, NewSession};
    let today = chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive();
    let year = FiscalYear::of(today);
    let first = year.first_day();
    let session = |kind: &str, audience: &str, title: &str, held_on, place: &str| NewSession {
        kind: kind.into(),
        audience: audience.into(),
        title: title.into(),
        held_on,
        place: place.into(),
    };
    let newcomers: Vec<&mamori_store::org::Person> = people.iter().filter(|p| p.employment == "regular").step_by(37).take(6).collect();
    for p in &newcomers {
        store.set_joined_on(org_id, p.id, first, actor).await?;
    }
    let intro_day = (first + chrono::Days::new(3)).min(today);
    let intro = store
        .create_training_session(
            org_id,
            &session("training", "new_staff", "新規採用職員向け情報セキュリティ研修", intro_day, "第1会議室"),
            Some(director),
            actor,
        )
        .await?;
    let joined: Vec<i64> = newcomers.iter().map(|p| p.id).collect();
    let batch = |person_ids, source| Attendance { person_ids, source, today, recorded_by: Some(director) };
    store.record_attendance(org_id, intro.id, &batch(&joined[..joined.len().saturating_sub(1)], "ui"), actor).await?;
    let main_day = (first + chrono::Days::new(75)).min(today);
    let main = store
        .create_training_session(
            org_id,
            &session("training", "all_staff", "情報セキュリティ研修（全職員等）", main_day, "役場大会議室・オンライン"),
            Some(director),
            actor,
        )
        .await?;
    let attended: Vec<i64> = people.iter().filter(|p| p.active && rng.gen_bool(0.85)).map(|p| p.id).collect();
    store.record_attendance(org_id, main.id, &batch(&attended, "csv"), actor).await?;
    for p in people.iter().filter(|p| p.employment == "fiscal_year" && rng.gen_bool(0.8)) {
        store.record_consent(org_id, p.id, first.max(today - chrono::Days::new(200)).min(today), Some(director), actor).await?;
    }
    store
        .create_training_session(
            org_id,
            &session("drill", "all_staff", "緊急時対応訓練（標的型メール）", today + chrono::Days::new(30), "各課"),
            Some(director),
            actor,
        )
        .await?;
    Ok(())
}

struct AssetGenerator<'a> {
    depts: &'a [DeptPlan],
    systems: &'a [SystemRef],
    /// Cumulative department weights for picking a department.
    cumulative: Vec<u32>,
    /// Per department: the subjects it holds itself.
    own: Vec<Vec<SubjectRef>>,
    generic: Vec<SubjectRef>,
}

impl<'a> AssetGenerator<'a> {
    fn new(depts: &'a [DeptPlan], systems: &'a [SystemRef]) -> Self {
        let mut total = 0;
        let cumulative = depts
            .iter()
            .map(|d| {
                total += if d.kind == "bureau" { 1 } else { d.weight };
                total
            })
            .collect();
        let own = depts
            .iter()
            .map(|d| {
                let mut v: Vec<SubjectRef> = data::SUBJECTS
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| match s.home {
                        Home::Section(code) => matches!(d.kind, "section" | "unit") && code == d.section_code,
                        Home::School => d.kind == "school",
                        Home::Nursery => d.kind == "nursery",
                        Home::Any => false,
                    })
                    .map(|(i, _)| SubjectRef::Subject(i))
                    .collect();
                if matches!(d.kind, "section" | "unit") {
                    for (i, s) in systems.iter().enumerate() {
                        let spec = data::SYSTEMS.iter().find(|x| x.name == s.name).expect("system spec");
                        if spec.section == d.section_code {
                            v.extend((0..data::SYSTEM_DOCUMENTS.len()).map(|k| SubjectRef::SystemDocument(i, k)));
                        }
                    }
                }
                v
            })
            .collect();
        let generic = data::SUBJECTS.iter().enumerate().filter(|(_, s)| s.home == Home::Any).map(|(i, _)| SubjectRef::Subject(i)).collect();
        Self { depts, systems, cumulative, own, generic }
    }

    fn asset(&self, rng: &mut StdRng) -> (AssetFields, Classes) {
        let total = *self.cumulative.last().expect("departments");
        let r = rng.gen_range(0..total);
        let d = self.cumulative.partition_point(|&c| c <= r);
        let dept = &self.depts[d];
        let subject = if !self.own[d].is_empty() && rng.gen_bool(0.7) {
            *self.own[d].choose(rng).expect("own subjects")
        } else {
            *self.generic.choose(rng).expect("generic subjects")
        };
        let year = era_year(rng);
        let variant = if rng.gen_bool(0.4) { data::VARIANTS[rng.gen_range(0..data::VARIANTS.len())] } else { "" };
        let (mut fields, mut classes) = match subject {
            SubjectRef::Subject(i) => {
                let s = &data::SUBJECTS[i];
                let medium = pick_medium(s.media, rng);
                let system = s.system.and_then(|name| self.systems.iter().find(|x| x.name == name));
                let (name, zone, system_id) = match (s.kind, medium, system) {
                    ("equipment", _, _) => {
                        let zone = ["lgwan", "lgwan", "lgwan", "mynumber", "internet"][rng.gen_range(0..5)];
                        let number = format!("{}-{:04}", dept.code, rng.gen_range(1..10_000));
                        (format!("{}（管理番号 {number}）", s.name), Some(zone.to_owned()), None)
                    }
                    ("information", "electronic", Some(sys)) => {
                        (format!("{year} {}{variant}", s.name), Some(sys.zone.to_owned()), Some(sys.id))
                    }
                    (_, "electronic", _) => (format!("{year} {}{variant}", s.name), Some("lgwan".to_owned()), None),
                    (_, "removable_media", _) => (format!("{year} {}{variant}（媒体）", s.name), None, None),
                    _ => (format!("{year} {}{variant}", s.name), None, None),
                };
                let kind = if s.kind == "information" && medium == "paper" { "document" } else { s.kind };
                let location = location(medium, dept, system.map(|x| x.name), rng);
                let note = if s.note.is_empty() { String::new() } else { format!("{}。", s.note) };
                let description = format!("{}が保有する{}。{note}保存期間{}。", dept.name, s.name, s.retention);
                let (c, i, a) = s.classes;
                (
                    AssetFields {
                        name,
                        description,
                        department_id: dept.id,
                        kind: kind.to_owned(),
                        medium: medium.to_owned(),
                        location,
                        zone,
                        system_id,
                        personal_info: s.personal || s.specific,
                        specific_personal_info: s.specific,
                        retention: s.retention.to_owned(),
                    },
                    Classes { confidentiality: Some(c.into()), integrity: Some(i.into()), availability: Some(a.into()) },
                )
            }
            SubjectRef::SystemDocument(si, k) => {
                let sys = &self.systems[si];
                let (doc, (c, i, a), media) = data::SYSTEM_DOCUMENTS[k];
                let medium = pick_medium(media, rng);
                let name = format!("{}{doc}（{year}）", sys.name);
                let zone = if medium == "paper" { None } else { Some(sys.zone.to_owned()) };
                (
                    AssetFields {
                        name,
                        description: format!("{}の{doc}。{}が管理する。", sys.name, dept.name),
                        department_id: dept.id,
                        kind: "system_document".to_owned(),
                        medium: medium.to_owned(),
                        location: location(medium, dept, None, rng),
                        zone,
                        system_id: Some(sys.id),
                        personal_info: false,
                        specific_personal_info: false,
                        retention: "システム廃止まで".to_owned(),
                    },
                    Classes { confidentiality: Some(c.into()), integrity: Some(i.into()), availability: Some(a.into()) },
                )
            }
        };
        // About 3% wait for the 管理者's decision (対策基準2(2)).
        if rng.gen_bool(0.03) {
            classes = if rng.gen_bool(0.7) { Classes::default() } else { Classes { confidentiality: None, ..classes } };
            fields.description.push_str("分類未決定（管理者の判断待ち）。");
        } else if rng.gen_bool(0.05) {
            // Some registers hold a copy one level stricter than the subject's default.
            if classes.confidentiality.as_deref() == Some("3C") {
                classes.confidentiality = Some("3B".into());
            }
        }
        (fields, classes)
    }
}

fn location(medium: &str, dept: &DeptPlan, system: Option<&str>, rng: &mut StdRng) -> String {
    match (medium, system) {
        ("electronic", Some(s)) => format!("{s} データベース"),
        ("electronic", None) => format!("ファイルサーバ \\\\fs01\\{}", dept.name),
        ("paper", _) => format!("{} {}", dept.name, data::LOCATIONS_PAPER[rng.gen_range(0..data::LOCATIONS_PAPER.len())]),
        _ => format!("{} {}", dept.name, data::LOCATIONS_MEDIA[rng.gen_range(0..data::LOCATIONS_MEDIA.len())]),
    }
}

//! Demo data for mamori: an organization shaped by its profile — a 町 like 志免町, a 市 with
//! its 実施機関, or an 一部事務組合's 事務局 — with its organization chart, staff, role
//! assignments derived from the profile's roles (by the job each does, `roles.rs`),
//! information systems in the profile's zones and an asset register across every class,
//! medium and zone. The same generator fills the large database of the asset-register
//! benchmark. Everything is deterministic from the seed.

mod charts;
mod data;
mod roles;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use anyhow::{anyhow, Context};
use mamori_policy::workflow::Step;
use mamori_policy::Profile;
use mamori_store::assets::{AssetFields, Classes};
use mamori_store::org::StaffRow;
use mamori_store::systems::SystemFields;
use mamori_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use charts::has_body;
pub use charts::Chart;
use data::{Home, SubjectRef};
pub use roles::UnassignedRole;

/// How big a town to make.
#[derive(Debug, Clone)]
pub struct DemoScale {
    /// Approximate number of departments below the 部: the 課 and 事務局 always, then 総務課
    /// 情報係, schools and nurseries, the other 係, and further facilities (公民館, 児童館,
    /// 出張所 …) until the target is reached. The 部 come in addition.
    pub departments_target: usize,
    pub staff: usize,
    pub assets: usize,
    /// Number of information systems (at most the ones the chart knows).
    pub systems: usize,
}

impl DemoScale {
    /// A small town: 20 課 plus 情報係, 6 schools and 3 nurseries; 300 staff; 2,000 assets.
    pub fn town() -> Self {
        charts::TOWN.scale.clone()
    }

    /// The benchmark: a million assets, 50,000 staff, about 200 departments.
    pub fn bench() -> Self {
        Self { departments_target: 200, staff: 50_000, assets: 1_000_000, systems: 27 }
    }

    /// What `mamori demo` builds for a profile: the town for a 町, 600 staff for a 市, 40 for
    /// an 一部事務組合's 事務局.
    pub fn for_profile(profile: &Profile) -> Self {
        Chart::for_profile(profile).scale.clone()
    }
}

/// A sign-in the demo hands out, to whoever holds the job under the profile.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub login: String,
    pub person_id: i64,
    /// What this person is, in Japanese: 「最高情報セキュリティ責任者（副町長）」.
    pub what: String,
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
    /// The 課 of the demo's 管理者 and staff logins (住民課 in a 町, 市民課 in a 市, the
    /// 組合's 課 of its joint work).
    pub window_department_id: i64,
    pub joho_department_id: i64,
    /// The holder of the CISO's job (the 副町長).
    pub ciso_person_id: Option<i64>,
    /// The holder of the 統括's job (the 総務課長).
    pub security_director_person_id: Option<i64>,
    /// The 管理者 of the window department (the 住民課長).
    pub security_manager_person_id: Option<i64>,
    /// The first CSIRT member (the 総務課 情報係長).
    pub csirt_person_id: Option<i64>,
    /// A staff member of the window department without any role.
    pub staff_person_id: Option<i64>,
    /// The demo's sign-ins besides the administrator: ciso, somu (the 統括), the window's
    /// 管理者 and a staff member (`jumin-kacho`, `jumin-staff` in a 町), csirt — each only
    /// when somebody holds the job.
    pub logins: Vec<DemoLogin>,
    /// Profile roles nobody holds in the demo, with the reason.
    pub unassigned_roles: Vec<UnassignedRole>,
    /// Permission steps of the profile's workflow that nobody in the demo may take (the
    /// administrator aside). Empty for the bundled profiles.
    pub uncovered_steps: Vec<Step>,
}

/// One department to create.
pub(crate) struct DeptPlan {
    pub code: String,
    pub name: String,
    pub parent: Option<usize>,
    pub kind: &'static str,
    /// Index of the 課 this department belongs to (itself for a 課); `None` for a 部.
    pub section: Option<usize>,
    /// The 課 code, for matching asset subjects and systems.
    section_code: &'static str,
    /// Post of the head, who is created in this department.
    pub head_post: &'static str,
    weight: u32,
    pub id: i64,
}

fn plan_departments(chart: &Chart, profile: &Profile, target: usize) -> Vec<DeptPlan> {
    let mut plan: Vec<DeptPlan> = Vec::new();
    let mut units: Vec<(usize, &'static str, String)> = Vec::new(); // (section index, name, code)
    let mut bureaus = 0;
    for bureau in chart.bureaus.iter().filter(|b| has_body(profile, b.body)) {
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
                head_post: bureau.head,
                weight: 1,
                id: 0,
            });
            bureaus += 1;
            Some(plan.len() - 1)
        };
        for s in bureau.sections.iter().filter(|s| has_body(profile, s.body)) {
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
    let sections = plan.len() - bureaus;
    let section_index = |code: &str, plan: &[DeptPlan]| plan.iter().position(|d| d.code == code);
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
    // A facility whose supervising 課 the profile's bodies left out is not made.
    let supervised = |f: usize, plan: &[DeptPlan]| section_index(chart.facilities[f].2, plan).is_some();
    let push_facility = |plan: &mut Vec<DeptPlan>, serial: &mut HashMap<&str, usize>, name: String, f: usize| {
        let (kind, _, supervisor, head) = chart.facilities[f];
        let s = section_index(supervisor, plan).expect("checked by `supervised`");
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
    let joho = units.iter().position(|u| u.2 == data::JOHO).expect("every chart has the 総務課 情報係");
    push_unit(&mut plan, &units.remove(joho));
    let below = |plan: &Vec<DeptPlan>| plan.iter().filter(|d| d.kind != "bureau").count();
    let mut used: HashSet<String> = HashSet::new();
    for (district, f) in chart.base_facilities {
        if below(&plan) >= target.max(sections + 1) {
            break;
        }
        if !supervised(*f, &plan) {
            continue;
        }
        let name = format!("{}{}", district, chart.facilities[*f].1);
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
        for district in chart.districts {
            for (f, (_, suffix, _, _)) in chart.facilities.iter().enumerate() {
                if below(&plan) >= target {
                    break 'outer;
                }
                if !supervised(f, &plan) {
                    continue;
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
pub(crate) struct StaffPlan {
    staff_no: String,
    pub dept: usize,
    pub post: &'static str,
    pub employment: &'static str,
}

fn plan_staff(chart: &Chart, depts: &[DeptPlan], staff: usize, rng: &mut StdRng) -> Vec<StaffPlan> {
    let mut people = Vec::with_capacity(staff);
    fn push(people: &mut Vec<StaffPlan>, dept: usize, post: &'static str, employment: &'static str) {
        people.push(StaffPlan { staff_no: String::new(), dept, post, employment });
    }
    // The heads above the 部, in the departments they sit in.
    for (post, code) in chart.top {
        if let Some(d) = depts.iter().position(|d| d.code == *code) {
            push(&mut people, d, post, "regular");
        }
    }
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
        let technical = chart.technical.contains(&d.section_code);
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

/// The profile's zones standing in for the demo's three kinds (`SystemSpec::zone`): the
/// My Number kind goes to the zone that requires multi-factor authentication or blocks
/// export to media (南薩's 介護認定事務系), the Internet kind to `internet` or a zone named
/// インターネット, the LGWAN kind to `lgwan` or a zone named LGWAN. A kind the profile lacks
/// takes the internal zone it has (南薩 has no LGWAN zone: its LGWAN systems sit in its
/// 介護認定事務系), so that every system and asset is in one of the profile's zones.
struct ZoneMap {
    mynumber: Option<String>,
    lgwan: Option<String>,
    internet: Option<String>,
}

impl ZoneMap {
    fn new(profile: &Profile) -> Self {
        let find = |f: &dyn Fn(&mamori_policy::profile::Zone) -> bool| profile.zones.iter().find(|z| f(z)).map(|z| z.id.to_string());
        let mynumber = find(&|z| z.requires_mfa || z.blocks_media_export).or_else(|| find(&|z| z.id.as_str() == "mynumber"));
        let internet = find(&|z| z.id.as_str() == "internet").or_else(|| find(&|z| z.name.contains("インターネット")));
        let lgwan = find(&|z| z.id.as_str() == "lgwan").or_else(|| find(&|z| z.name.contains("LGWAN")));
        let first_internal = find(&|z| Some(z.id.to_string()) != internet);
        let first = profile.zones.first().map(|z| z.id.to_string());
        Self {
            lgwan: lgwan.clone().or_else(|| mynumber.clone()).or_else(|| first_internal.clone()).or_else(|| first.clone()),
            mynumber: mynumber.or(lgwan.clone()).or_else(|| first_internal.clone()).or_else(|| first.clone()),
            internet: internet.or(lgwan).or(first_internal).or(first),
        }
    }

    fn get(&self, kind: &str) -> Option<String> {
        match kind {
            "mynumber" => self.mynumber.clone(),
            "internet" => self.internet.clone(),
            _ => self.lgwan.clone(),
        }
    }
}

/// The profile's level ids standing in for the demo's (志免町's: 3A 3B 3C 2 1 for
/// confidentiality, 2 1 for the others): the same position from the strictest down, scaled
/// to the number of levels the profile's axis has. Identity for every bundled profile.
struct LevelMap {
    axes: HashMap<&'static str, Vec<String>>,
}

const DEMO_LEVELS: [(&str, &[&str]); 3] =
    [("confidentiality", &["3A", "3B", "3C", "2", "1"]), ("integrity", &["2", "1"]), ("availability", &["2", "1"])];

impl LevelMap {
    fn new(profile: &Profile) -> Self {
        let axes = DEMO_LEVELS
            .iter()
            .map(|(axis, _)| {
                (*axis, profile.axis(axis).map(|a| a.levels_by_rank().iter().map(|l| l.id.get_ref().clone()).collect()).unwrap_or_default())
            })
            .collect();
        Self { axes }
    }

    /// `None` when the profile has no such axis: the asset waits for a decision (要判断).
    fn get(&self, axis: &str, demo_level: &str) -> Option<String> {
        let demo = DEMO_LEVELS.iter().find(|(a, _)| *a == axis)?.1;
        let at = demo.iter().position(|l| *l == demo_level)?;
        let levels = self.axes.get(axis)?;
        if levels.is_empty() {
            return None;
        }
        let i = if demo.len() == 1 { 0 } else { (at * (levels.len() - 1) + (demo.len() - 1) / 2) / (demo.len() - 1) };
        levels.get(i).cloned()
    }

    fn classes(&self, (c, i, a): data::Levels) -> Classes {
        Classes {
            confidentiality: self.get("confidentiality", c),
            integrity: self.get("integrity", i),
            availability: self.get("availability", a),
        }
    }
}

struct SystemRef {
    id: i64,
    spec: &'static data::SystemSpec,
    /// The profile's zone.
    zone: Option<String>,
}

/// Fills the organization with a demo organization shaped by `profile` (see the crate
/// documentation). The organization should be empty: departments are created by code and a
/// second run fails on the first duplicate.
pub async fn populate(
    store: &Store,
    org_id: i64,
    profile: &Profile,
    scale: &DemoScale,
    seed: u64,
    progress: bool,
) -> anyhow::Result<DemoSummary> {
    let started = Instant::now();
    let say = |what: &str| {
        if progress {
            eprintln!("[{:>7.1}s] {what}", started.elapsed().as_secs_f64());
        }
    };
    let actor = Actor::system("demo");
    let chart = Chart::for_profile(profile);
    let zones = ZoneMap::new(profile);
    let levels = LevelMap::new(profile);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut summary = DemoSummary::default();

    // Departments, parents first.
    let mut depts = plan_departments(chart, profile, scale.departments_target);
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
    let dept_index = |code: &str| depts.iter().position(|d| d.code == code);
    let dept_by_code = |code: &str| dept_index(code).expect("known department");
    summary.somu_department_id = depts[dept_by_code(data::SOMU)].id;
    let window = dept_by_code(chart.window.0);
    summary.window_department_id = depts[window].id;
    summary.joho_department_id = depts[dept_by_code(data::JOHO)].id;
    say(&format!("{} departments", depts.len()));

    // Posts with their ranks, before the staff list would create them with rank 0.
    let existing: HashSet<String> = store.posts(org_id).await?.into_iter().map(|p| p.name).collect();
    for (name, rank) in chart.posts {
        if !existing.contains(*name) {
            store.create_post(org_id, name, *rank, &actor).await?;
        }
    }
    summary.posts = store.posts(org_id).await?.len();

    // Staff, through the staff-list import.
    let staff = plan_staff(chart, &depts, scale.staff, &mut rng);
    let code = profile.profile.id.as_str().replace('_', "-");
    let domain = if chart.mail.is_empty() { format!("{code}.lg.jp") } else { format!("{}.{code}.lg.jp", chart.mail) };
    let rows: Vec<StaffRow> = staff
        .iter()
        .map(|p| {
            let (name, kana, romaji) = person_name(&mut rng);
            let d = &depts[p.dept];
            StaffRow {
                staff_no: p.staff_no.clone(),
                name,
                kana,
                email: format!("{romaji}-{}@{domain}", p.staff_no),
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
    let org = roles::Org { chart, depts: &depts, staff: &staff };

    // Role assignments by the job each of the profile's roles does.
    let mut plan = roles::plan(profile, &org);
    let joho = dept_by_code(data::JOHO);

    // Systems, managed by the owning 課長 and operated by someone of that 課.
    let mut systems: Vec<SystemRef> = Vec::new();
    for spec in chart.systems().filter(|s| dept_index(s.section).is_some()).take(scale.systems) {
        let s = dept_by_code(spec.section);
        let manager = org.head_of(s);
        let operators: Vec<usize> = (0..staff.len())
            .filter(|&i| depts[staff[i].dept].section == Some(s) && matches!(staff[i].post, "主査" | "主任主事" | "主事" | "技師"))
            .collect();
        // The systems of 総務課 are operated by the 情報係.
        let operators = if spec.section == data::SOMU {
            let j: Vec<usize> = operators.iter().copied().filter(|&i| staff[i].dept == joho).collect();
            if j.is_empty() {
                operators
            } else {
                j
            }
        } else {
            operators
        };
        let operator = operators.choose(&mut rng).copied();
        let documents = ["仕様書", "ネットワーク構成図", "運用手順書", "保守契約書"]
            .iter()
            .map(|d| format!("{}{d}", spec.name))
            .collect::<Vec<_>>()
            .join("\n");
        let zone = zones.get(spec.zone);
        let sys = store
            .create_system(
                org_id,
                &SystemFields {
                    name: spec.name.to_owned(),
                    description: chart.say(spec.description),
                    zone: zone.clone(),
                    department_id: depts[s].id,
                    manager_person_id: manager.map(|m| pid(&staff[m])).transpose()?,
                    operator_person_id: operator.map(|o| pid(&staff[o])).transpose()?,
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
        if let (Some(role), Some(m)) = (&plan.system_manager, manager) {
            plan.assignments.push((role.clone(), m, Some(depts[s].id)));
        }
        if let (Some(role), Some(o)) = (&plan.system_operator, operator) {
            plan.assignments.push((role.clone(), o, Some(depts[s].id)));
        }
        systems.push(SystemRef { id: sys.id, spec, zone });
    }
    summary.systems = systems.len();
    say(&format!("{} systems", systems.len()));

    summary.uncovered_steps = plan.finish(profile, &org);
    for (role, person, dept) in &plan.assignments {
        store.assign_role(org_id, role, pid(&staff[*person])?, *dept, false, &actor).await?;
    }
    summary.role_assignments = plan.assignments.len();
    summary.unassigned_roles = plan.unassigned.clone();
    say(&format!("{} role assignments", plan.assignments.len()));

    // The people the demo's sign-ins go to: whoever holds each job.
    let job_of = |role: &str| profile.role(role).and_then(mamori_policy::workflow::acts_as);
    let holder = |job, dept: Option<i64>| {
        plan.assignments.iter().find(|(role, _, d)| job_of(role) == Some(job) && (dept.is_none() || *d == dept)).map(|(_, p, _)| *p)
    };
    use mamori_policy::workflow::WorkflowRole as Job;
    let with_role: HashSet<usize> = plan.assignments.iter().map(|a| a.1).collect();
    let staff_member = (0..staff.len())
        .filter(|&i| staff[i].dept == window && staff[i].post == "主事")
        .chain((0..staff.len()).filter(|&i| staff[i].employment == "regular"))
        .find(|i| !with_role.contains(i));
    let prefix = chart.window.1;
    let seats = [
        ("ciso".to_owned(), holder(Job::Ciso, None)),
        ("somu".to_owned(), holder(Job::SecurityDirector, None)),
        (format!("{prefix}-kacho"), holder(Job::SecurityManager, Some(depts[window].id))),
        (format!("{prefix}-staff"), staff_member),
        ("csirt".to_owned(), holder(Job::Csirt, None)),
    ];
    for (login, who) in &seats {
        let Some(i) = *who else { continue };
        let p = &staff[i];
        let roles: Vec<String> = plan
            .assignments
            .iter()
            .filter(|a| a.1 == i)
            .filter_map(|(role, _, _)| profile.role(role).map(|r| r.name.clone()))
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Vec::new(), |mut v, n| {
                if !v.contains(&n) {
                    v.push(n);
                }
                v
            });
        // 「副市長」 for a head above the 部, 「市民課・主事」 for the rest.
        let seat = if chart.top.iter().any(|(post, _)| *post == p.post) {
            p.post.to_owned()
        } else {
            format!("{}・{}", depts[p.dept].name, if p.post.is_empty() { "職員" } else { p.post })
        };
        let what = if roles.is_empty() { format!("役割なし（{seat}）") } else { format!("{}（{seat}）", roles.join("・")) };
        summary.logins.push(DemoLogin { login: login.clone(), person_id: pid(p)?, what });
    }
    let person = |login: &str| summary.logins.iter().find(|l| l.login == login).map(|l| l.person_id);
    summary.ciso_person_id = person("ciso");
    summary.security_director_person_id = person("somu");
    summary.security_manager_person_id = person(&format!("{prefix}-kacho"));
    summary.staff_person_id = person(&format!("{prefix}-staff"));
    summary.csirt_person_id = person("csirt");

    // The 統括 records the training; without one, the window's 管理者 or anybody.
    let organizer = summary.security_director_person_id.or(summary.security_manager_person_id).or(people.first().map(|p| p.id));
    seed_training(store, org_id, chart, &people, organizer, &mut rng, &actor).await?;
    say("training sessions");

    // Assets.
    let generator = AssetGenerator::new(chart, &depts, &systems, &zones, &levels);
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
    chart: &Chart,
    people: &[mamori_store::org::Person],
    director: Option<i64>,
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
            director,
            actor,
        )
        .await?;
    let joined: Vec<i64> = newcomers.iter().map(|p| p.id).collect();
    let batch = |person_ids, source| Attendance { person_ids, source, today, recorded_by: director };
    store.record_attendance(org_id, intro.id, &batch(&joined[..joined.len().saturating_sub(1)], "ui"), actor).await?;
    let main_day = (first + chrono::Days::new(75)).min(today);
    let main = store
        .create_training_session(
            org_id,
            &session("training", "all_staff", "情報セキュリティ研修（全職員等）", main_day, &format!("{}大会議室・オンライン", chart.hall)),
            director,
            actor,
        )
        .await?;
    let attended: Vec<i64> = people.iter().filter(|p| p.active && rng.gen_bool(0.85)).map(|p| p.id).collect();
    store.record_attendance(org_id, main.id, &batch(&attended, "csv"), actor).await?;
    for p in people.iter().filter(|p| p.employment == "fiscal_year" && rng.gen_bool(0.8)) {
        store.record_consent(org_id, p.id, first.max(today - chrono::Days::new(200)).min(today), director, actor).await?;
    }
    store
        .create_training_session(
            org_id,
            &session("drill", "all_staff", "緊急時対応訓練（標的型メール）", today + chrono::Days::new(30), "各課"),
            director,
            actor,
        )
        .await?;
    Ok(())
}

struct AssetGenerator<'a> {
    chart: &'a Chart,
    depts: &'a [DeptPlan],
    systems: &'a [SystemRef],
    zones: &'a ZoneMap,
    levels: &'a LevelMap,
    /// Cumulative department weights for picking a department.
    cumulative: Vec<u32>,
    /// Per department: the subjects it holds itself.
    own: Vec<Vec<SubjectRef>>,
    generic: Vec<SubjectRef>,
}

impl<'a> AssetGenerator<'a> {
    fn new(chart: &'a Chart, depts: &'a [DeptPlan], systems: &'a [SystemRef], zones: &'a ZoneMap, levels: &'a LevelMap) -> Self {
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
                        if s.spec.section == d.section_code {
                            v.extend((0..data::SYSTEM_DOCUMENTS.len()).map(|k| SubjectRef::SystemDocument(i, k)));
                        }
                    }
                }
                v
            })
            .collect();
        let generic = data::SUBJECTS.iter().enumerate().filter(|(_, s)| s.home == Home::Any).map(|(i, _)| SubjectRef::Subject(i)).collect();
        Self { chart, depts, systems, zones, levels, cumulative, own, generic }
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
                let system = s.system.and_then(|name| self.systems.iter().find(|x| x.spec.name == name));
                let subject = self.chart.say(s.name);
                let (name, zone, system_id) = match (s.kind, medium, system) {
                    ("equipment", _, _) => {
                        let zone = ["lgwan", "lgwan", "lgwan", "mynumber", "internet"][rng.gen_range(0..5)];
                        let number = format!("{}-{:04}", dept.code, rng.gen_range(1..10_000));
                        (format!("{subject}（管理番号 {number}）"), self.zones.get(zone), None)
                    }
                    ("information", "electronic", Some(sys)) => (format!("{year} {subject}{variant}"), sys.zone.clone(), Some(sys.id)),
                    (_, "electronic", _) => (format!("{year} {subject}{variant}"), self.zones.get("lgwan"), None),
                    (_, "removable_media", _) => (format!("{year} {subject}{variant}（媒体）"), None, None),
                    _ => (format!("{year} {subject}{variant}"), None, None),
                };
                let kind = if s.kind == "information" && medium == "paper" { "document" } else { s.kind };
                let location = location(medium, dept, system.map(|x| x.spec.name), rng);
                let note = if s.note.is_empty() { String::new() } else { format!("{}。", s.note) };
                let description = format!("{}が保有する{subject}。{note}保存期間{}。", dept.name, s.retention);
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
                    self.levels.classes(s.classes),
                )
            }
            SubjectRef::SystemDocument(si, k) => {
                let sys = &self.systems[si];
                let (doc, levels, media) = data::SYSTEM_DOCUMENTS[k];
                let medium = pick_medium(media, rng);
                let name = format!("{}{doc}（{year}）", sys.spec.name);
                let zone = if medium == "paper" { None } else { sys.zone.clone() };
                (
                    AssetFields {
                        name,
                        description: format!("{}の{doc}。{}が管理する。", sys.spec.name, dept.name),
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
                    self.levels.classes(levels),
                )
            }
        };
        // About 3% wait for the 管理者's decision (対策基準2(2)).
        if rng.gen_bool(0.03) {
            classes = if rng.gen_bool(0.7) { Classes::default() } else { Classes { confidentiality: None, ..classes } };
            fields.description.push_str("分類未決定（管理者の判断待ち）。");
        } else if rng.gen_bool(0.05) {
            // Some registers hold a copy one level stricter than the subject's default.
            let (from, to) = (self.levels.get("confidentiality", "3C"), self.levels.get("confidentiality", "3B"));
            if from.is_some() && classes.confidentiality == from {
                classes.confidentiality = to;
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

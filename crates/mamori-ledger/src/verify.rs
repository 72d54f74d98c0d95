//! The verifier: recompute everything from the leaves, trust nothing stored.
//!
//! It is fed in index order — the signed checkpoints and anchors first, then the leaves,
//! with the stored hashes in between as they become comparable — and holds only the
//! tree's right edge and the few recomputed hashes not yet compared, so a million entries
//! need a few kilobytes. Every problem names the index, the stored hash or the checkpoint
//! at fault.
//!
//! Consistency between checkpoints is established by recomputing each checkpoint's root
//! from the same leaves: two checkpoints whose roots both equal the recomputed roots at
//! their sizes are consistent, and one whose root differs is reported. Two checkpoints of
//! one size with different roots (a fork) are reported even before any leaf is read.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, FixedOffset};
use tlog_tiles::split_stored_hash_index;

use crate::checkpoint::{CheckpointError, SignedCheckpoint, VerifyingKey};
use crate::cosignature::WitnessPublicKey;
use crate::keys::{KeyChain, KeyIntroduction};
use crate::leaf::LeafView;
use crate::{Frontier, Hash, Leaf};

/// How many problem messages a report keeps; the count goes on.
const KEEP: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub entries: u64,
    pub stored_hashes: u64,
    pub checkpoints: u64,
    pub anchors: u64,
    /// Problems: any one means the ledger does not verify.
    pub problems: Vec<String>,
    pub problem_count: usize,
    /// Time anomalies: recorded facts to review, not failures (対策基準7.1(3)②).
    pub warnings: Vec<String>,
    pub warning_count: usize,
    /// The root of all the leaves read.
    pub root: Option<Hash>,
    /// The largest checkpoint that verified.
    pub latest: Option<SignedCheckpoint>,
    /// Entries beyond the latest checkpoint that verified, `(first index, last index)`.
    pub unsigned: Option<(u64, u64)>,
    /// Cosignatures checked (whether they held or not).
    pub cosignatures: u64,
    /// The largest checkpoint that verified and that enough of the required witnesses
    /// cosigned recently enough: its size and its newest cosignature's time.
    pub witnessed: Option<(u64, u64)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }
}

struct Pending {
    label: String,
    checkpoint: SignedCheckpoint,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Stored,
    Anchor,
    /// A key introduction's handover size and root.
    Introduction,
    /// A checkpoint with cosignatures: the required witnesses (by position in the policy)
    /// whose cosignature held, with its time.
    Witnessed(Vec<(usize, u64)>),
}

impl Kind {
    fn what(&self) -> &'static str {
        match self {
            Kind::Stored => "チェックポイント",
            Kind::Anchor => "アンカー",
            Kind::Introduction => "鍵の引き継ぎ",
            Kind::Witnessed(_) => "立会人が連署したチェックポイント",
        }
    }
}

/// What `mamori ledger verify --witness KEY … --min-witnesses N` requires: a checkpoint
/// that verifies, cosigned by at least `min` of `keys`, the newest of those cosignatures
/// no older than `max_age` seconds at `now` (the caller's clock; the core has none).
#[derive(Debug, Clone)]
pub struct WitnessPolicy {
    pub keys: Vec<WitnessPublicKey>,
    pub min: usize,
    pub now: u64,
    pub max_age: Option<u64>,
}

pub struct Verifier {
    org_id: Option<i64>,
    origin: String,
    keys: KeyChain,
    policy: Option<WitnessPolicy>,
    /// Witnessed checkpoints whose roots matched: size, cosignatures that held.
    witnessed: Vec<(u64, Vec<(usize, u64)>)>,
    frontier: Frontier,
    next_index: u64,
    recomputed: VecDeque<(u64, Hash)>,
    by_size: BTreeMap<u64, Vec<Pending>>,
    /// Sizes announced before the leaves ([`Verifier::announce_sizes`]), ascending, from
    /// `next_announced` on not yet reached; and the roots recomputed at the sizes reached.
    announced: Vec<u64>,
    next_announced: usize,
    roots_at: BTreeMap<u64, Hash>,
    /// The previous leaf's time as recorded, and as parsed once it has been.
    prev_at: String,
    prev_time: Option<DateTime<FixedOffset>>,
    report: Report,
    scratch: Vec<(u64, Hash)>,
    /// The canonical JSON of the leaf being hashed.
    leaf_text: Vec<u8>,
}

impl Verifier {
    /// A verifier for the log of `origin`, whose checkpoints must be signed by `key`. With
    /// `org_id`, every leaf must belong to that organization.
    pub fn new(origin: &str, key: VerifyingKey, org_id: Option<i64>) -> Self {
        Self::with_keys(origin, KeyChain::single(key), org_id)
    }

    /// A verifier whose checkpoints may be signed by any key of `keys`, each within the
    /// sizes its introduction gives it.
    pub fn with_keys(origin: &str, keys: KeyChain, org_id: Option<i64>) -> Self {
        Self {
            org_id,
            origin: origin.to_owned(),
            keys,
            policy: None,
            witnessed: Vec::new(),
            frontier: Frontier::new(),
            next_index: 0,
            recomputed: VecDeque::new(),
            by_size: BTreeMap::new(),
            announced: Vec::new(),
            next_announced: 0,
            roots_at: BTreeMap::new(),
            prev_at: String::new(),
            prev_time: None,
            report: Report::default(),
            scratch: Vec::new(),
            leaf_text: Vec::with_capacity(512),
        }
    }

    pub fn problem(&mut self, message: String) {
        self.report.problem_count += 1;
        if self.report.problems.len() < KEEP {
            self.report.problems.push(message);
        }
    }

    /// Announces the sizes of checkpoints that will be added after the leaves: the root
    /// recomputed at each of these sizes is kept, so that such a checkpoint is checked as
    /// if it had been added first. Lets a caller check checkpoint signatures while the
    /// leaves are being fed. Call before the first leaf.
    pub fn announce_sizes(&mut self, sizes: impl IntoIterator<Item = u64>) {
        self.announced.extend(sizes);
        self.announced.sort_unstable();
        self.announced.dedup();
        self.record_announced_root();
    }

    fn record_announced_root(&mut self) {
        let size = self.frontier.size();
        while let Some(&next) = self.announced.get(self.next_announced) {
            if next > size {
                break;
            }
            if next == size {
                self.roots_at.insert(size, self.frontier.root());
            }
            self.next_announced += 1;
        }
    }

    fn warning(&mut self, message: String) {
        self.report.warning_count += 1;
        if self.report.warnings.len() < KEEP {
            self.report.warnings.push(message);
        }
    }

    /// Adds a stored checkpoint. `label` names it in messages (`チェックポイント #12`).
    pub fn checkpoint(&mut self, label: &str, text: &str) {
        self.add(label, text, false)
    }

    /// Adds an anchor: a checkpoint printed earlier and kept outside mamori.
    pub fn anchor(&mut self, label: &str, text: &str) {
        self.add(label, text, true)
    }

    /// Adds a stored checkpoint the caller has already opened with
    /// [`checkpoint::open`]`(text, key, None)`, `key` being this verifier's key: the same as
    /// [`Verifier::checkpoint`] with that text, for a caller that needs the opened checkpoint
    /// itself and would otherwise check its signature twice.
    pub fn opened_checkpoint(&mut self, label: &str, opened: Result<SignedCheckpoint, CheckpointError>) {
        let opened = opened.and_then(|c| {
            if c.origin == self.origin {
                Ok(c)
            } else {
                Err(CheckpointError::WrongOrigin { expected: self.origin.clone(), found: c.origin })
            }
        });
        self.add_opened(label, opened, false)
    }

    /// The keys checkpoints are checked with.
    pub fn keys(&self) -> &KeyChain {
        &self.keys
    }

    /// Requires witnesses' cosignatures (see [`WitnessPolicy`]). Call before adding
    /// witnessed checkpoints.
    pub fn require_witnesses(&mut self, policy: WitnessPolicy) {
        self.policy = Some(policy);
    }

    /// Adds a key introduction that [`KeyChain::from_introductions`] accepted: its
    /// handover root must be the log's root at its size.
    pub fn key_introduction(&mut self, label: &str, intro: &KeyIntroduction) {
        let checkpoint = SignedCheckpoint { origin: intro.origin.clone(), size: intro.size, root: intro.root, text: intro.text.clone() };
        self.add_opened_kind(label, Ok(checkpoint), Kind::Introduction)
    }

    /// Adds a checkpoint carrying witnesses' cosignature lines (stored beside the log's
    /// checkpoint, or kept by a witness). It is checked as a checkpoint is; the
    /// cosignatures by the required witnesses are checked against its note, and a
    /// cosignature by a required witness that does not hold is a problem.
    pub fn witnessed(&mut self, label: &str, text: &str) {
        let opened = self.keys.open(text, Some(&self.origin));
        let mut held = Vec::new();
        if let (Ok(_), Some(policy)) = (&opened, &self.policy) {
            let keys = policy.keys.clone();
            for (i, key) in keys.iter().enumerate() {
                for line in crate::cosignature::signature_lines(text) {
                    self.report.cosignatures += 1;
                    match key.check(text, line) {
                        Ok(Some(t)) => held.push((i, t)),
                        Ok(None) => self.report.cosignatures -= 1,
                        Err(e) => self.problem(format!("[{label}] {e}")),
                    }
                }
            }
        }
        self.add_opened_kind(label, opened, Kind::Witnessed(held))
    }

    fn add(&mut self, label: &str, text: &str, anchor: bool) {
        let opened = self.keys.open(text, Some(&self.origin));
        self.add_opened(label, opened, anchor)
    }

    fn add_opened(&mut self, label: &str, opened: Result<SignedCheckpoint, CheckpointError>, anchor: bool) {
        self.add_opened_kind(label, opened, if anchor { Kind::Anchor } else { Kind::Stored })
    }

    fn add_opened_kind(&mut self, label: &str, opened: Result<SignedCheckpoint, CheckpointError>, kind: Kind) {
        let checkpoint = match opened {
            Ok(c) => c,
            Err(e) => {
                self.problem(format!("[{label}] {e}"));
                return;
            }
        };
        let size = checkpoint.size;
        let root = checkpoint.root;
        if let Some(other) = self.by_size.get(&size).and_then(|v| v.iter().find(|p| p.checkpoint.root != root)) {
            let other_label = other.label.clone();
            self.problem(format!(
                "[{label}] 件数 {size} のチェックポイントが {other_label} と異なるルートを持っています（ログの分岐: 同じ鍵で矛盾する2つの状態に署名されています）"
            ));
        }
        match kind {
            Kind::Anchor => self.report.anchors += 1,
            Kind::Stored => self.report.checkpoints += 1,
            Kind::Introduction | Kind::Witnessed(_) => {}
        }
        self.by_size.entry(size).or_default().push(Pending { label: label.to_owned(), checkpoint, kind });
        let read = self.frontier.size();
        if size == read {
            self.compare_roots();
        } else if size < read {
            // Added after its leaves: compared with the root kept at its announced size.
            match self.roots_at.get(&size).copied() {
                Some(root) => self.compare_roots_with(size, root),
                None => {
                    self.by_size.remove(&size);
                    self.problem(format!("[{label}] 件数 {size} の時点のルートを照合できません（検証の前に件数が知らされていません）"));
                }
            }
        }
    }

    /// Feeds the leaf stored at `index`. `payload`, when given, must hash to the leaf's
    /// `payload_sha256`.
    pub fn entry(&mut self, index: u64, leaf: &LeafView<'_>, payload: Option<&str>) {
        if index < self.next_index {
            self.problem(format!("[index {index}] 同じ番号の記録が重複しています"));
            return;
        }
        if index > self.next_index {
            let (from, to) = (self.next_index, index - 1);
            if from == to {
                self.problem(format!("[index {from}] 記録が欠落しています（削除された可能性があります）"));
            } else {
                self.problem(format!("[index {from}..={to}] 記録が欠落しています（{} 件、削除された可能性があります）", to - from + 1));
            }
        }
        self.report.entries += 1;
        if leaf.seq != index + 1 {
            self.problem(format!("[index {index}] 葉の seq が {} です（期待: {}）— 記録が入れ替えられています", leaf.seq, index + 1));
        }
        if let Some(org) = self.org_id {
            if leaf.org_id != org {
                self.problem(format!("[index {index}] 別の団体（id {}）の記録が混入しています", leaf.org_id));
            }
        }
        if let Some(payload) = payload {
            if crate::sha256_hex(payload.as_bytes()) != leaf.payload_sha256 {
                self.problem(format!("[index {index}] 内容（payload）が葉のハッシュと一致しません"));
            }
        }
        self.check_time(index, leaf);
        if !leaf.clock_synced {
            self.warning(format!("[index {index}] 記録時に時刻同期が確認できていません（{}）", leaf.at));
        }
        let hash = leaf.hash_with(&mut self.leaf_text);
        self.append(hash);
        self.next_index = index + 1;
    }

    /// Checks that the leaf's time is well formed and warns when it goes backwards.
    fn check_time(&mut self, index: u64, leaf: &LeafView<'_>) {
        // Most leaves are written by the same server on the same day as the one before
        // (`2026-11-22T09:30:00.000+09:00`): when the date matches the previous leaf's,
        // already checked, a well-formed time of day is checked here and compared as text,
        // which orders such times as the clock does. Anything else is parsed.
        if same_day_time(&self.prev_at, leaf.at) {
            if leaf.at < self.prev_at.as_str() {
                self.warning(format!("[index {index}] 時刻が逆行しています（{} → {}）", self.prev_at, leaf.at));
            }
            self.prev_time = None;
        } else {
            match leaf.time() {
                Ok(t) => {
                    let prev = match self.prev_time {
                        Some(p) => Some(p),
                        None if self.prev_at.is_empty() => None,
                        None => LeafView { at: &self.prev_at, ..*leaf }.time().ok(),
                    };
                    if let Some(prev) = prev {
                        if t < prev {
                            self.warning(format!("[index {index}] 時刻が逆行しています（{} → {}）", self.prev_at, leaf.at));
                        }
                    }
                    self.prev_time = Some(t);
                }
                Err(e) => {
                    self.problem(format!("[index {index}] {e}"));
                    return;
                }
            }
        }
        self.prev_at.clear();
        self.prev_at.push_str(leaf.at);
    }

    /// Feeds a leaf given as text (from a bundle); the text must be canonical.
    pub fn entry_text(&mut self, index: u64, text: &str, payload: Option<&str>) {
        match Leaf::parse(text) {
            Ok(leaf) => self.entry(index, &leaf.view(), payload),
            Err(e) => {
                self.problem(format!("[index {index}] {e}"));
                // Keep the tree aligned: hash the bytes as they are.
                self.report.entries += 1;
                self.append(crate::leaf_hash(text.as_bytes()));
                self.next_index = index + 1;
            }
        }
    }

    fn append(&mut self, hash: Hash) {
        self.scratch.clear();
        self.frontier.append(hash, &mut self.scratch);
        self.recomputed.extend(self.scratch.drain(..));
        if self.announced.get(self.next_announced) == Some(&self.frontier.size()) {
            self.record_announced_root();
        }
        self.compare_roots();
    }

    fn compare_roots(&mut self) {
        let size = self.frontier.size();
        if !self.by_size.contains_key(&size) {
            return;
        }
        let root = self.roots_at.get(&size).copied().unwrap_or_else(|| self.frontier.root());
        self.compare_roots_with(size, root);
    }

    /// Compares the checkpoints waiting at `size` with `root`, the root recomputed there.
    fn compare_roots_with(&mut self, size: u64, root: Hash) {
        let Some(pending) = self.by_size.remove(&size) else { return };
        for p in pending {
            if p.checkpoint.root != root {
                let what = p.kind.what();
                self.problem(format!(
                    "[{}] {what}（件数 {size}）のルートが記録から計算したルートと一致しません — 件数 {size} までの記録が署名後に改変されたか、{what}が別の分岐のものです",
                    p.label
                ));
            } else {
                match p.kind {
                    Kind::Stored if self.report.latest.as_ref().is_none_or(|l| l.size <= size) => self.report.latest = Some(p.checkpoint),
                    Kind::Witnessed(held) => self.witnessed.push((size, held)),
                    _ => {}
                }
            }
        }
    }

    /// How many stored hashes the leaves read so far produce; a caller reads stored hashes
    /// with indexes below this before feeding them.
    pub fn stored_hashes_due(&self) -> u64 {
        self.recomputed.back().map(|(i, _)| i + 1).unwrap_or(0)
    }

    /// Checks the stored hashes with indexes `from..to` at once, given as `digest`: the
    /// SHA-256 of the 32-byte hashes one after another in index order
    /// ([`stored_span_digest`]). Returns whether they are the recomputed ones; when they
    /// are, they count as checked one by one would. When they are not — or the span is not
    /// the next one due, all recomputed — nothing changes, and the caller compares them one
    /// by one ([`Verifier::stored_hash`]) to learn which differ.
    pub fn stored_span(&mut self, from: u64, to: u64, digest: &Hash) -> bool {
        let Some(len) = to.checked_sub(from).and_then(|n| usize::try_from(n).ok()) else {
            return false;
        };
        let in_order = self.recomputed.front().is_some_and(|(i, _)| *i == from) || (len == 0 && self.recomputed.is_empty());
        if !in_order || self.recomputed.len() < len || (len > 0 && self.recomputed[len - 1].0 != to - 1) {
            return false;
        }
        if stored_span_digest(self.recomputed.range(..len).map(|(_, h)| h)) != *digest {
            return false;
        }
        self.recomputed.drain(..len);
        self.report.stored_hashes += to - from;
        true
    }

    /// Compares one stored hash with the recomputed one. Stored hashes must come in index
    /// order and only below [`Verifier::stored_hashes_due`].
    pub fn stored_hash(&mut self, index: u64, hash: Hash) {
        self.report.stored_hashes += 1;
        while let Some(&(expected_index, expected)) = self.recomputed.front() {
            if expected_index < index {
                self.recomputed.pop_front();
                let message = missing_hash(expected_index);
                self.problem(message);
                continue;
            }
            if expected_index == index {
                self.recomputed.pop_front();
                if expected != hash {
                    let (level, n) = split_stored_hash_index(index);
                    if level == 0 {
                        self.problem(format!(
                            "[index {n}] 保存された葉のハッシュが記録の内容と一致しません（記録か葉のハッシュが改変されています）"
                        ));
                    } else {
                        self.problem(format!(
                            "[中間ハッシュ {index}（レベル {level}、index {}..{}）] 保存値が記録から計算した値と一致しません",
                            n << level,
                            (n + 1) << level
                        ));
                    }
                }
            } else {
                self.problem(format!("[中間ハッシュ {index}] 記録に対応しない保存ハッシュがあります"));
            }
            return;
        }
        self.problem(format!("[中間ハッシュ {index}] 記録に対応しない保存ハッシュがあります"));
    }

    /// Ends the run. `claimed_size`, when known (the organization's change counter), is how
    /// many entries the database says it holds.
    pub fn finish(mut self, claimed_size: Option<u64>) -> Report {
        let read = self.frontier.size();
        while let Some((index, _)) = self.recomputed.pop_front() {
            let message = missing_hash(index);
            self.problem(message);
        }
        if let Some(claimed) = claimed_size {
            if claimed > read {
                self.problem(format!(
                    "[index {read}..] 団体の変更番号は {claimed} 件を示していますが、記録は {read} 件しかありません（末尾が削除されています）"
                ));
            } else if claimed < read {
                self.problem(format!("[index {claimed}..] 団体の変更番号 {claimed} を超える記録があります（{read} 件）"));
            }
        }
        let beyond = std::mem::take(&mut self.by_size);
        for (size, pending) in beyond {
            for p in pending {
                let what = p.kind.what();
                self.problem(format!(
                    "[{}] {what}は {size} 件を示していますが、ログには {read} 件しかありません（末尾が切り詰められています）",
                    p.label
                ));
            }
        }
        // An honest server signs what it commits in the same transaction, so entries no
        // signed checkpoint covers are never legitimate at rest: they were added, or the
        // checkpoints that covered them were removed, behind the server's back.
        let signed = self.report.latest.as_ref().map_or(0, |c| c.size);
        if read > signed {
            let (first, last) = (signed, read - 1);
            self.report.unsigned = Some((first, last));
            let latest = if signed == 0 {
                "署名付きチェックポイントがありません".to_owned()
            } else {
                format!("最新の署名付きチェックポイントは件数 {signed}")
            };
            self.problem(format!(
                "[index {first}..={last}] 署名されていない記録 index {first}–{last}（{} 件。{latest}。記録がサーバーの外で追加されたか、それを確定したチェックポイントが削除されています）",
                last - first + 1
            ));
        }
        if let Some(policy) = self.policy.take() {
            self.judge_witnesses(&policy);
        }
        self.report.root = Some(self.frontier.root());
        self.report
    }

    /// Finds the largest verified checkpoint cosigned by `policy.min` of the required
    /// witnesses recently enough; a problem when there is none.
    fn judge_witnesses(&mut self, policy: &WitnessPolicy) {
        let mut best: Option<(u64, u64)> = None;
        let mut newest_any: Option<(u64, u64)> = None;
        for (size, held) in &self.witnessed {
            // Each witness counted once, at its newest cosignature of this checkpoint.
            let mut by_witness: BTreeMap<usize, u64> = BTreeMap::new();
            for &(w, t) in held {
                let e = by_witness.entry(w).or_insert(t);
                *e = (*e).max(t);
            }
            let mut times: Vec<u64> = by_witness.into_values().collect();
            times.sort_unstable_by(|a, b| b.cmp(a));
            if times.len() < policy.min.max(1) {
                continue;
            }
            // The min-th newest cosignature decides how recent the checkpoint's witnessing is.
            let deciding = times[policy.min.max(1) - 1];
            if newest_any.is_none_or(|(s, _)| *size > s) {
                newest_any = Some((*size, deciding));
            }
            let recent = policy.max_age.is_none_or(|age| deciding.saturating_add(age) >= policy.now);
            if recent && best.is_none_or(|(s, _)| *size > s) {
                best = Some((*size, times[0]));
            }
        }
        self.report.witnessed = best;
        if best.is_none() {
            let min = policy.min.max(1);
            match newest_any {
                Some((size, t)) => self.problem(format!(
                    "[立会人] 立会人 {min} 者が連署したチェックポイントは件数 {size} のものが最新で、その連署は {} 時間前です（許容 {} 時間）— 台帳が巻き戻されたか、立会人が連署していません",
                    policy.now.saturating_sub(t) / 3600,
                    policy.max_age.unwrap_or(0) / 3600
                )),
                None => self.problem(format!(
                    "[立会人] 指定された立会人 {min} 者が有効に連署し、記録と一致するチェックポイントがありません（{} 者の鍵を指定）— 台帳が巻き戻されたか、立会人が連署していません",
                    policy.keys.len()
                )),
            }
        }
    }
}

/// Whether `at` is `YYYY-MM-DDTHH:MM:SS.fff+09:00` with the date of `prev`, a time already
/// accepted, and a valid time of day (no leap second): a time RFC 3339 parsing accepts, and
/// that compares with `prev`, of the same form, as text.
fn same_day_time(prev: &str, at: &str) -> bool {
    const FORM: &[u8; 29] = b"0000-00-00T00:00:00.000+09:00";
    let (p, a) = (prev.as_bytes(), at.as_bytes());
    if p.len() != 29 || a.len() != 29 || p[..11] != a[..11] || p[23..] != FORM[23..] || a[23..] != FORM[23..] {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| a[r].iter().all(u8::is_ascii_digit);
    let two = |i: usize| (a[i] - b'0') * 10 + (a[i + 1] - b'0');
    digits(11..13)
        && a[13] == b':'
        && digits(14..16)
        && a[16] == b':'
        && digits(17..19)
        && a[19] == b'.'
        && digits(20..23)
        && two(11) < 24
        && two(14) < 60
        && two(17) < 60
        && same_day_time_prefix(p)
}

/// Whether `prev` has the form [`same_day_time`] expects, so that text order is time order.
fn same_day_time_prefix(prev: &[u8]) -> bool {
    prev[..11].iter().enumerate().all(|(i, b)| match i {
        4 | 7 => *b == b'-',
        10 => *b == b'T',
        _ => b.is_ascii_digit(),
    }) && [13, 16].iter().all(|&i| prev[i] == b':')
        && prev[19] == b'.'
        && [11, 12, 14, 15, 17, 18, 20, 21, 22].iter().all(|&i| prev[i].is_ascii_digit())
}

/// The digest [`Verifier::stored_span`] takes of a span of stored hashes: SHA-256 of the
/// hashes one after another, in index order. A database can compute it of its rows
/// (PostgreSQL: `sha256(string_agg(hash, ''))`), which sends 32 bytes instead of the span.
pub fn stored_span_digest<'a>(hashes: impl IntoIterator<Item = &'a Hash>) -> Hash {
    use sha2::{Digest, Sha256};
    let mut d = Sha256::new();
    for h in hashes {
        d.update(h.0);
    }
    Hash(d.finalize().into())
}

fn missing_hash(index: u64) -> String {
    let (level, n) = split_stored_hash_index(index);
    if level == 0 {
        format!("[index {n}] 葉のハッシュが保存されていません")
    } else {
        format!("[中間ハッシュ {index}（レベル {level}）] 保存されていません")
    }
}

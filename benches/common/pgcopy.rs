//! Deterministic generator of PostgreSQL `COPY ... TO STDOUT (FORMAT binary)`
//! output, standing in for real tables in the benchmarks.
//!
//! Layout (PostgreSQL docs, "COPY — Binary Format"): the 11-byte signature
//! `PGCOPY\n\377\r\n\0`, an int32 flags field (0), an int32 header-extension
//! length (0), then one tuple per row — int16 field count, and per field an
//! int32 length (-1 for NULL) followed by that many bytes of the type's binary
//! send format — and finally the int16 trailer -1. Everything is big-endian.
//!
//! Two tables:
//! - `Accounts`: pgbench_accounts (aid int4, bid int4, abalance int4,
//!   filler char(84)): fixed 114-byte tuples, very compressible.
//! - `Orders`: a mixed OLTP table (id int8, created_at timestamptz,
//!   status text, note text, amount numeric(12,2), paid bool, ext_id uuid,
//!   attrs jsonb) with variable-length tuples, NULLs, random UUIDs.
//!
//! Rows come from one seeded `StdRng` stream, so the first N rows of a
//! generation are the same whatever the total: appending rows to a table is
//! generating more of the stream. An updated row consumes the main stream
//! exactly as the original would, then is changed with a separate RNG, so
//! every other row stays byte-identical.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// pgbench_accounts-like.
    Accounts,
    /// Mixed-type orders table.
    Orders,
}

impl Table {
    pub const ALL: [Table; 2] = [Table::Accounts, Table::Orders];

    pub fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::Orders => "orders",
        }
    }
}

/// The COPY BINARY file header: signature, flags, header extension length.
pub fn write_header(out: &mut Vec<u8>) {
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
}

pub fn write_trailer(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i16).to_be_bytes());
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

/// `numeric` in binary send format for a value given in hundredths
/// (numeric(p,2)): int16 ndigits, int16 weight, int16 sign, int16 dscale,
/// then ndigits base-10000 digits, leading and trailing zero digits stripped
/// as PostgreSQL does.
pub fn numeric_cents(cents: i64) -> Vec<u8> {
    let sign: u16 = if cents < 0 { 0x4000 } else { 0x0000 };
    let abs = cents.unsigned_abs();
    let (int, frac) = (abs / 100, (abs % 100) as u16);
    let mut groups = Vec::new();
    let mut n = int;
    while n > 0 {
        groups.push((n % 10_000) as u16);
        n /= 10_000;
    }
    groups.reverse();
    let mut weight = groups.len() as i16 - 1;
    let mut digits = groups;
    digits.push(frac * 100);
    // Leading zeros (only when the integer part is 0 and so has no groups).
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let (weight, sign) = if digits.is_empty() {
        (0, 0)
    } else {
        (weight, sign)
    };
    let mut out = Vec::with_capacity(8 + 2 * digits.len());
    out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&2i16.to_be_bytes());
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out
}

/// A few hundred common English words; `pick_word` favours the first ones
/// (roughly Zipf-like), as real text does.
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "for",
    "is",
    "on",
    "that",
    "by",
    "this",
    "with",
    "you",
    "it",
    "not",
    "or",
    "be",
    "are",
    "from",
    "at",
    "as",
    "your",
    "all",
    "have",
    "new",
    "more",
    "an",
    "was",
    "we",
    "will",
    "can",
    "us",
    "about",
    "if",
    "my",
    "has",
    "but",
    "our",
    "one",
    "other",
    "do",
    "no",
    "time",
    "they",
    "he",
    "up",
    "may",
    "what",
    "which",
    "their",
    "out",
    "use",
    "any",
    "there",
    "see",
    "only",
    "so",
    "his",
    "when",
    "here",
    "business",
    "who",
    "also",
    "now",
    "help",
    "get",
    "view",
    "online",
    "first",
    "been",
    "would",
    "how",
    "were",
    "me",
    "some",
    "these",
    "like",
    "service",
    "than",
    "find",
    "price",
    "date",
    "back",
    "top",
    "people",
    "had",
    "list",
    "name",
    "just",
    "over",
    "state",
    "year",
    "day",
    "into",
    "email",
    "two",
    "health",
    "world",
    "next",
    "used",
    "go",
    "work",
    "last",
    "most",
    "products",
    "music",
    "buy",
    "data",
    "make",
    "them",
    "should",
    "product",
    "system",
    "post",
    "her",
    "city",
    "add",
    "policy",
    "number",
    "such",
    "please",
    "available",
    "copyright",
    "support",
    "message",
    "after",
    "best",
    "software",
    "then",
    "well",
    "where",
    "info",
    "rights",
    "public",
    "books",
    "high",
    "school",
    "through",
    "each",
    "links",
    "she",
    "review",
    "years",
    "order",
    "very",
    "privacy",
    "book",
    "items",
    "company",
    "read",
    "group",
    "need",
    "many",
    "user",
    "said",
    "does",
    "set",
    "under",
    "general",
    "research",
    "university",
    "january",
    "mail",
    "full",
    "map",
    "reviews",
    "program",
    "life",
    "know",
    "games",
    "way",
    "days",
    "management",
    "part",
    "could",
    "great",
    "united",
    "hotel",
    "real",
    "item",
    "international",
    "center",
    "ebay",
    "must",
    "store",
    "travel",
    "comments",
    "made",
    "development",
    "report",
    "off",
    "member",
    "details",
    "line",
    "terms",
    "before",
    "hotels",
    "did",
    "send",
    "right",
    "type",
    "because",
    "local",
    "those",
    "using",
    "results",
    "office",
    "education",
    "national",
    "car",
    "design",
    "take",
    "posted",
    "internet",
    "address",
    "community",
    "within",
    "states",
    "area",
    "want",
    "phone",
    "shipping",
    "reserved",
    "subject",
    "between",
    "forum",
    "family",
    "long",
    "based",
    "code",
    "show",
    "even",
    "black",
    "check",
    "special",
    "prices",
    "website",
    "index",
    "being",
    "women",
    "much",
    "sign",
    "file",
    "link",
    "open",
    "today",
    "technology",
    "south",
    "case",
    "project",
    "same",
    "pages",
    "version",
    "section",
    "own",
    "found",
    "sports",
    "house",
    "related",
    "security",
    "both",
    "county",
    "american",
    "photo",
    "game",
    "members",
    "power",
    "while",
    "care",
    "network",
    "down",
    "computer",
    "systems",
    "three",
    "total",
    "place",
    "following",
    "download",
    "without",
    "access",
    "think",
    "north",
    "resources",
    "current",
    "posts",
    "media",
    "law",
    "control",
    "water",
    "history",
    "pictures",
    "size",
    "personal",
    "since",
    "including",
    "guide",
    "shop",
    "directory",
    "board",
    "location",
    "change",
    "white",
    "text",
    "small",
    "rating",
    "rate",
    "government",
    "children",
    "during",
    "return",
    "students",
    "shopping",
    "account",
    "times",
    "sites",
    "level",
    "digital",
    "profile",
    "previous",
    "form",
    "events",
    "love",
    "old",
    "john",
    "main",
    "call",
    "hours",
    "image",
    "department",
    "title",
    "description",
    "insurance",
    "another",
    "why",
    "shall",
    "property",
    "class",
    "still",
    "money",
    "quality",
    "every",
    "listing",
    "content",
    "country",
    "private",
    "little",
    "visit",
    "save",
    "tools",
    "low",
    "reply",
    "customer",
    "december",
    "compare",
    "movies",
    "include",
    "college",
    "value",
    "article",
    "york",
    "man",
    "card",
    "jobs",
    "provide",
    "food",
    "source",
    "author",
    "different",
    "press",
    "learn",
    "sale",
    "around",
    "print",
    "course",
    "job",
    "canada",
    "process",
    "teen",
    "room",
    "stock",
    "training",
    "too",
    "credit",
    "point",
    "join",
    "science",
    "men",
    "categories",
    "advanced",
    "west",
    "sales",
    "look",
    "english",
    "left",
    "team",
    "estate",
    "box",
    "conditions",
    "select",
    "windows",
    "photos",
    "gay",
    "thread",
    "week",
    "category",
    "note",
    "live",
    "large",
    "gallery",
    "table",
    "register",
    "however",
    "june",
    "october",
    "november",
    "market",
    "library",
    "really",
    "action",
    "start",
    "series",
    "model",
    "features",
    "air",
    "industry",
    "plan",
    "human",
    "provided",
    "yes",
    "required",
    "second",
    "hot",
    "accessories",
    "cost",
    "movie",
    "forums",
    "march",
    "la",
    "september",
    "better",
    "say",
    "questions",
    "july",
    "yahoo",
    "going",
    "medical",
    "test",
    "friend",
    "come",
    "server",
    "study",
    "application",
    "cart",
    "staff",
    "articles",
    "feedback",
    "again",
    "play",
    "looking",
    "issues",
    "april",
    "never",
    "users",
    "complete",
    "street",
    "topic",
    "comment",
    "financial",
    "things",
    "working",
    "against",
    "standard",
    "tax",
    "person",
    "below",
    "mobile",
    "less",
    "got",
    "blog",
    "party",
    "payment",
    "equipment",
    "login",
    "student",
    "let",
    "programs",
    "offers",
    "legal",
    "above",
    "recent",
    "park",
    "stores",
    "side",
    "act",
    "problem",
    "red",
    "give",
    "memory",
    "performance",
    "social",
    "august",
    "quote",
    "language",
    "story",
    "sell",
    "options",
    "experience",
    "rates",
    "create",
    "key",
    "body",
    "young",
    "america",
    "important",
    "field",
    "few",
    "east",
    "paper",
    "single",
    "age",
    "activities",
    "club",
    "example",
    "girls",
    "additional",
    "password",
    "latest",
    "something",
    "road",
    "gift",
    "question",
    "changes",
    "night",
    "hard",
    "texas",
    "oct",
    "pay",
    "four",
    "poker",
    "status",
    "browse",
    "issue",
    "range",
    "building",
    "seller",
    "court",
];

fn pick_word(rng: &mut StdRng) -> &'static str {
    // u^3 skews towards the frequent words at the start of the list.
    let u: f64 = rng.random();
    WORDS[((u * u * u) * WORDS.len() as f64) as usize]
}

const STATUSES: &[&str] = &[
    "new",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
];
const SOURCES: &[&str] = &["web", "ios", "android", "api", "pos"];

/// 2023-01-01 00:00:00 UTC in PostgreSQL's timestamp encoding
/// (microseconds since 2000-01-01).
const ORDERS_EPOCH: i64 = 8401 * 86_400 * 1_000_000;

/// One orders row before encoding.
struct Order {
    id: i64,
    created_at: i64,
    status: usize,
    note: Option<String>,
    cents: i64,
    paid: bool,
    uuid: [u8; 16],
    attrs: Option<Attrs>,
}

struct Attrs {
    src: &'static str,
    tags: Vec<&'static str>,
    score: Option<u32>,
    device: Option<String>,
}

impl Attrs {
    /// jsonb's send format: version byte 1, then the text as jsonb_out
    /// prints it (keys sorted by length, then bytewise; ", " and ": ").
    fn encode(&self) -> Vec<u8> {
        let mut parts: Vec<(&str, String)> = vec![("src", format!("\"{}\"", self.src))];
        if !self.tags.is_empty() {
            let t: Vec<String> = self.tags.iter().map(|t| format!("\"{t}\"")).collect();
            parts.push(("tags", format!("[{}]", t.join(", "))));
        }
        if let Some(s) = self.score {
            parts.push(("score", s.to_string()));
        }
        if let Some(d) = &self.device {
            parts.push(("device", format!("\"{d}\"")));
        }
        parts.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(b.0)));
        let body: Vec<String> = parts.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let mut out = vec![1u8];
        out.push(b'{');
        out.extend_from_slice(body.join(", ").as_bytes());
        out.push(b'}');
        out
    }
}

/// Emits rows of one table, in order, from a seeded RNG.
pub struct CopyGen {
    table: Table,
    rng: StdRng,
    next_row: u64,
    last_ts: i64,
}

impl CopyGen {
    pub fn new(table: Table, seed: u64) -> CopyGen {
        CopyGen {
            table,
            rng: StdRng::seed_from_u64(seed),
            next_row: 0,
            last_ts: ORDERS_EPOCH,
        }
    }

    /// Append the next row. With `update`, the row is the one the table
    /// would hold after an UPDATE (same position, some columns changed).
    pub fn row(&mut self, out: &mut Vec<u8>, update: Option<&mut StdRng>) {
        let i = self.next_row;
        self.next_row += 1;
        match self.table {
            Table::Accounts => self.accounts_row(i, out, update),
            Table::Orders => self.orders_row(i, out, update),
        }
    }

    fn accounts_row(&mut self, i: u64, out: &mut Vec<u8>, update: Option<&mut StdRng>) {
        let rng = &mut self.rng;
        // After a pgbench run most balances are still 0.
        let mut abalance: i32 = if rng.random_bool(0.2) {
            rng.random_range(-50_000..=50_000)
        } else {
            0
        };
        let mut filler = [b' '; 84];
        if rng.random_bool(0.01) {
            let w = pick_word(rng).as_bytes();
            filler[..w.len()].copy_from_slice(w);
        }
        if let Some(u) = update {
            abalance = abalance.wrapping_add(u.random_range(-5000..=5000));
        }
        out.extend_from_slice(&4i16.to_be_bytes());
        field(out, &((i + 1) as i32).to_be_bytes());
        field(out, &((i / 100_000 + 1) as i32).to_be_bytes());
        field(out, &abalance.to_be_bytes());
        field(out, &filler);
    }

    fn orders_row(&mut self, i: u64, out: &mut Vec<u8>, update: Option<&mut StdRng>) {
        let rng = &mut self.rng;
        self.last_ts += rng.random_range(0..2_000_000);
        let note = if rng.random_bool(0.25) {
            None
        } else {
            let n = rng.random_range(1..=24);
            let mut s = String::new();
            for k in 0..n {
                if k > 0 {
                    s.push(' ');
                }
                s.push_str(pick_word(rng));
            }
            Some(s)
        };
        let mut uuid: [u8; 16] = rng.random();
        uuid[6] = (uuid[6] & 0x0f) | 0x40; // version 4
        uuid[8] = (uuid[8] & 0x3f) | 0x80; // RFC 4122 variant
        let attrs = if rng.random_bool(0.3) {
            None
        } else {
            let ntags = rng.random_range(0..=3);
            Some(Attrs {
                src: SOURCES.choose(rng).copied().unwrap_or("web"),
                tags: (0..ntags).map(|_| pick_word(rng)).collect(),
                score: rng.random_bool(0.5).then(|| rng.random_range(0..=100)),
                device: rng
                    .random_bool(0.2)
                    .then(|| format!("{}-{}", pick_word(rng), rng.random_range(1..=12))),
            })
        };
        let mut row = Order {
            id: i as i64 + 1,
            created_at: self.last_ts,
            status: rng.random_range(0..STATUSES.len()),
            note,
            // Log-uniform-ish amounts between 1.00 and ~10000.00.
            cents: (100.0 * 10f64.powf(rng.random_range(0.0..4.0))) as i64,
            paid: rng.random_bool(0.8),
            uuid,
            attrs,
        };
        if let Some(u) = update {
            row.status = (row.status + 1 + u.random_range(0..2)) % STATUSES.len();
            row.paid = true;
            if u.random_bool(0.3) {
                row.cents += u.random_range(-500..=500);
            }
            let a = row.attrs.get_or_insert_with(|| Attrs {
                src: "api",
                tags: Vec::new(),
                score: None,
                device: None,
            });
            a.score = Some(u.random_range(0..=100));
        }
        out.extend_from_slice(&8i16.to_be_bytes());
        field(out, &row.id.to_be_bytes());
        field(out, &row.created_at.to_be_bytes());
        field(out, STATUSES[row.status].as_bytes());
        match &row.note {
            Some(n) => field(out, n.as_bytes()),
            None => null(out),
        }
        field(out, &numeric_cents(row.cents));
        field(out, &[row.paid as u8]);
        field(out, &row.uuid);
        match &row.attrs {
            Some(a) => field(out, &a.encode()),
            None => null(out),
        }
    }
}

/// A whole COPY stream of `rows` rows; rows whose index is in `updated`
/// (sorted) are replaced by their updated version, changed with an RNG
/// seeded from `update_seed`.
pub fn copy_stream(
    table: Table,
    seed: u64,
    rows: u64,
    updated: &[u64],
    update_seed: u64,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows as usize * 160 + 64);
    let mut gen = CopyGen::new(table, seed);
    let mut urng = StdRng::seed_from_u64(update_seed);
    let mut next_upd = updated.iter().copied().peekable();
    write_header(&mut out);
    for i in 0..rows {
        if next_upd.peek() == Some(&i) {
            next_upd.next();
            gen.row(&mut out, Some(&mut urng));
        } else {
            gen.row(&mut out, None);
        }
    }
    write_trailer(&mut out);
    out
}

/// Rows needed for a stream of about `bytes` bytes (generates once).
pub fn rows_for_bytes(table: Table, seed: u64, bytes: usize) -> u64 {
    let mut out = Vec::with_capacity(bytes + 4096);
    let mut gen = CopyGen::new(table, seed);
    write_header(&mut out);
    let mut rows = 0;
    while out.len() < bytes {
        gen.row(&mut out, None);
        rows += 1;
    }
    rows
}

/// A stream of about `bytes` bytes, and its row count.
pub fn copy_stream_of_size(table: Table, seed: u64, bytes: usize) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(bytes + 4096);
    let mut gen = CopyGen::new(table, seed);
    write_header(&mut out);
    let mut rows = 0;
    while out.len() < bytes {
        gen.row(&mut out, None);
        rows += 1;
    }
    write_trailer(&mut out);
    (out, rows)
}

/// Walk a COPY BINARY stream and return its row count; panics on anything
/// malformed. Run by the benches on their corpus before measuring.
pub fn check_stream(data: &[u8]) -> u64 {
    assert_eq!(&data[..11], SIGNATURE, "signature");
    assert_eq!(&data[11..19], &[0u8; 8], "flags and header extension");
    let mut p = 19;
    let mut rows = 0;
    loop {
        let n = i16::from_be_bytes([data[p], data[p + 1]]);
        p += 2;
        if n == -1 {
            break;
        }
        assert!(n > 0, "field count {n} at {p}");
        for _ in 0..n {
            let len = i32::from_be_bytes(data[p..p + 4].try_into().unwrap());
            p += 4;
            if len >= 0 {
                p += len as usize;
            } else {
                assert_eq!(len, -1, "field length");
            }
        }
        rows += 1;
    }
    assert_eq!(p, data.len(), "bytes after the trailer");
    rows
}

/// Known encodings, checked once at start-up (benches run without a test
/// harness).
pub fn self_check() {
    // 12.50: ndigits 2, weight 0, digits [12, 5000].
    assert_eq!(
        numeric_cents(1250),
        [0, 2, 0, 0, 0, 0, 0, 2, 0, 12, 0x13, 0x88]
    );
    // 0.05: one digit 500 at weight -1.
    assert_eq!(numeric_cents(5), [0, 1, 0xff, 0xff, 0, 0, 0, 2, 0x01, 0xf4]);
    // 0: no digits.
    assert_eq!(numeric_cents(0), [0, 0, 0, 0, 0, 0, 0, 2]);
    // 123456.00: digits [12, 3456], weight 1.
    assert_eq!(
        numeric_cents(12_345_600),
        [0, 2, 0, 1, 0, 0, 0, 2, 0, 12, 0x0d, 0x80]
    );
    // -7.00
    assert_eq!(numeric_cents(-700), [0, 1, 0, 0, 0x40, 0, 0, 2, 0, 7]);
    let (s, rows) = copy_stream_of_size(Table::Orders, 1, 100_000);
    assert_eq!(check_stream(&s), rows);
    let a = copy_stream(Table::Accounts, 1, 1000, &[3, 500], 9);
    assert_eq!(check_stream(&a), 1000);
    assert_eq!(a.len(), 19 + 1000 * 114 + 2);
}

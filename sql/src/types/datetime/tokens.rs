//! The words date/time input knows: PostgreSQL's `datetktbl` (months, weekdays, `am`/`pm`,
//! `bc`, the special values, the ISO unit letters) and its default `timezone_abbreviations`
//! set (`Default`: 195 abbreviations, fixed offsets or zones whose rules decide the offset).
//!
//! Both tables are sorted by their lower-case key and searched by binary search, as
//! PostgreSQL's `datebsearch` does. Offsets are seconds east of UTC.

/// What a `datetktbl` word means (PostgreSQL's token types and values in one enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `epoch`, `infinity`, `now`, `today`, ... (`RESERV`).
    Reserved(Reserved),
    Month(i32),
    /// A day of the week (0 = Sunday); accepted and ignored.
    Weekday(i32),
    /// `am` (false) / `pm` (true).
    Meridian(bool),
    /// `ad` (false) / `bc` (true).
    Era(bool),
    /// `dst`: the preceding zone is in daylight time (one hour east).
    DstModifier,
    /// A unit label for the next field (`j`/`julian`, `y`, `m`, `d`, `h`, `mm`, `s`, ...).
    Unit(Unit),
    /// `t`: the ISO 8601 separator before a time.
    IsoTime,
    /// `at`, `on`: ignored.
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    Late,
    Early,
    Epoch,
    Now,
    Today,
    Tomorrow,
    Yesterday,
    /// `allballs`: 00:00:00 UTC.
    Zulu,
}

/// The unit labels `datetktbl` carries (only Julian and the time prefix are acted on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Julian,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Other,
}

const DATE_TOKENS: &[(&str, Token)] = {
    use self::Reserved as R;
    use Token::*;
    &[
        ("-infinity", Reserved(R::Early)),
        ("ad", Era(false)),
        ("allballs", Reserved(R::Zulu)),
        ("am", Meridian(false)),
        ("apr", Month(4)),
        ("april", Month(4)),
        ("at", Ignore),
        ("aug", Month(8)),
        ("august", Month(8)),
        ("bc", Era(true)),
        ("d", Unit(self::Unit::Day)),
        ("dec", Month(12)),
        ("december", Month(12)),
        ("dow", Unit(self::Unit::Other)),
        ("doy", Unit(self::Unit::Other)),
        ("dst", DstModifier),
        ("epoch", Reserved(R::Epoch)),
        ("feb", Month(2)),
        ("february", Month(2)),
        ("fri", Weekday(5)),
        ("friday", Weekday(5)),
        ("h", Unit(self::Unit::Hour)),
        ("infinity", Reserved(R::Late)),
        ("isodow", Unit(self::Unit::Other)),
        ("isoyear", Unit(self::Unit::Other)),
        ("j", Unit(self::Unit::Julian)),
        ("jan", Month(1)),
        ("january", Month(1)),
        ("jd", Unit(self::Unit::Julian)),
        ("jul", Month(7)),
        ("julian", Unit(self::Unit::Julian)),
        ("july", Month(7)),
        ("jun", Month(6)),
        ("june", Month(6)),
        ("m", Unit(self::Unit::Month)),
        ("mar", Month(3)),
        ("march", Month(3)),
        ("may", Month(5)),
        ("mm", Unit(self::Unit::Minute)),
        ("mon", Weekday(1)),
        ("monday", Weekday(1)),
        ("nov", Month(11)),
        ("november", Month(11)),
        ("now", Reserved(R::Now)),
        ("oct", Month(10)),
        ("october", Month(10)),
        ("on", Ignore),
        ("pm", Meridian(true)),
        ("s", Unit(self::Unit::Second)),
        ("sat", Weekday(6)),
        ("saturday", Weekday(6)),
        ("sep", Month(9)),
        ("sept", Month(9)),
        ("september", Month(9)),
        ("sun", Weekday(0)),
        ("sunday", Weekday(0)),
        ("t", IsoTime),
        ("thu", Weekday(4)),
        ("thur", Weekday(4)),
        ("thurs", Weekday(4)),
        ("thursday", Weekday(4)),
        ("today", Reserved(R::Today)),
        ("tomorrow", Reserved(R::Tomorrow)),
        ("tue", Weekday(2)),
        ("tues", Weekday(2)),
        ("tuesday", Weekday(2)),
        ("wed", Weekday(3)),
        ("wednesday", Weekday(3)),
        ("weds", Weekday(3)),
        ("y", Unit(self::Unit::Year)),
        ("yesterday", Reserved(R::Yesterday)),
    ]
};

/// PostgreSQL compares only the first `TOKMAXLEN` (10) characters of a word.
const TOKMAXLEN: usize = 10;

fn search<'a, T>(table: &'a [(&'static str, T)], word: &str) -> Option<&'a T> {
    let key = word.get(..TOKMAXLEN.min(word.len())).unwrap_or(word);
    table
        .binary_search_by(|(k, _)| k.cmp(&key))
        .ok()
        .map(|i| &table[i].1)
}

/// A `datetktbl` word (`word` lower-case).
pub fn date_token(word: &str) -> Option<Token> {
    search(DATE_TOKENS, word).copied()
}

/// A time zone abbreviation's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abbrev {
    /// Standard time at a fixed offset east.
    Std(i32),
    /// Daylight time at a fixed offset east.
    Dst(i32),
    /// The offset the named zone used under this abbreviation at the time in question.
    Dynamic(&'static str),
}

/// A `timezone_abbreviations` entry (`word` lower-case).
pub fn abbreviation(word: &str) -> Option<Abbrev> {
    search(ABBREVIATIONS, word).copied()
}

const ABBREVIATIONS: &[(&str, Abbrev)] = &[
    ("acdt", Abbrev::Dst(37800)),
    ("acsst", Abbrev::Dst(37800)),
    ("acst", Abbrev::Std(34200)),
    ("act", Abbrev::Std(-18000)),
    ("acwst", Abbrev::Std(31500)),
    ("adt", Abbrev::Dst(-10800)),
    ("aedt", Abbrev::Dst(39600)),
    ("aesst", Abbrev::Dst(39600)),
    ("aest", Abbrev::Std(36000)),
    ("aft", Abbrev::Std(16200)),
    ("akdt", Abbrev::Dst(-28800)),
    ("akst", Abbrev::Std(-32400)),
    ("almst", Abbrev::Dst(25200)),
    ("almt", Abbrev::Std(21600)),
    ("amst", Abbrev::Dynamic("Asia/Yerevan")),
    ("amt", Abbrev::Std(-14400)),
    ("anast", Abbrev::Dynamic("Asia/Anadyr")),
    ("anat", Abbrev::Dynamic("Asia/Anadyr")),
    ("arst", Abbrev::Dynamic("America/Argentina/Buenos_Aires")),
    ("art", Abbrev::Dynamic("America/Argentina/Buenos_Aires")),
    ("ast", Abbrev::Std(-14400)),
    ("awsst", Abbrev::Dst(32400)),
    ("awst", Abbrev::Std(28800)),
    ("azost", Abbrev::Dst(0)),
    ("azot", Abbrev::Std(-3600)),
    ("azst", Abbrev::Dynamic("Asia/Baku")),
    ("azt", Abbrev::Dynamic("Asia/Baku")),
    ("bdst", Abbrev::Dst(7200)),
    ("bdt", Abbrev::Std(21600)),
    ("bnt", Abbrev::Std(28800)),
    ("bort", Abbrev::Std(28800)),
    ("bot", Abbrev::Std(-14400)),
    ("bra", Abbrev::Std(-10800)),
    ("brst", Abbrev::Dst(-7200)),
    ("brt", Abbrev::Std(-10800)),
    ("bst", Abbrev::Dst(3600)),
    ("btt", Abbrev::Std(21600)),
    ("cadt", Abbrev::Dst(37800)),
    ("cast", Abbrev::Std(34200)),
    ("cct", Abbrev::Std(28800)),
    ("cdt", Abbrev::Dst(-18000)),
    ("cest", Abbrev::Dst(7200)),
    ("cet", Abbrev::Std(3600)),
    ("cetdst", Abbrev::Dst(7200)),
    ("chadt", Abbrev::Dst(49500)),
    ("chast", Abbrev::Std(45900)),
    ("chut", Abbrev::Std(36000)),
    ("ckt", Abbrev::Dynamic("Pacific/Rarotonga")),
    ("clst", Abbrev::Dst(-10800)),
    ("clt", Abbrev::Dynamic("America/Santiago")),
    ("cot", Abbrev::Std(-18000)),
    ("cst", Abbrev::Std(-21600)),
    ("cxt", Abbrev::Std(25200)),
    ("davt", Abbrev::Dynamic("Antarctica/Davis")),
    ("ddut", Abbrev::Std(36000)),
    ("easst", Abbrev::Dynamic("Pacific/Easter")),
    ("east", Abbrev::Dynamic("Pacific/Easter")),
    ("eat", Abbrev::Std(10800)),
    ("edt", Abbrev::Dst(-14400)),
    ("eest", Abbrev::Dst(10800)),
    ("eet", Abbrev::Std(7200)),
    ("eetdst", Abbrev::Dst(10800)),
    ("egst", Abbrev::Dst(0)),
    ("egt", Abbrev::Std(-3600)),
    ("est", Abbrev::Std(-18000)),
    ("fet", Abbrev::Std(10800)),
    ("fjst", Abbrev::Dst(46800)),
    ("fjt", Abbrev::Std(43200)),
    ("fkst", Abbrev::Dynamic("Atlantic/Stanley")),
    ("fkt", Abbrev::Dynamic("Atlantic/Stanley")),
    ("fnst", Abbrev::Dst(-3600)),
    ("fnt", Abbrev::Std(-7200)),
    ("galt", Abbrev::Std(-21600)),
    ("gamt", Abbrev::Std(-32400)),
    ("gest", Abbrev::Dynamic("Asia/Tbilisi")),
    ("get", Abbrev::Dynamic("Asia/Tbilisi")),
    ("gft", Abbrev::Std(-10800)),
    ("gilt", Abbrev::Std(43200)),
    ("gmt", Abbrev::Std(0)),
    ("gyt", Abbrev::Dynamic("America/Guyana")),
    ("hkt", Abbrev::Std(28800)),
    ("hst", Abbrev::Std(-36000)),
    ("ict", Abbrev::Std(25200)),
    ("idt", Abbrev::Dst(10800)),
    ("iot", Abbrev::Dynamic("Indian/Chagos")),
    ("irkst", Abbrev::Dynamic("Asia/Irkutsk")),
    ("irkt", Abbrev::Dynamic("Asia/Irkutsk")),
    ("irt", Abbrev::Std(12600)),
    ("ist", Abbrev::Std(7200)),
    ("jayt", Abbrev::Std(32400)),
    ("jst", Abbrev::Std(32400)),
    ("kdt", Abbrev::Dst(36000)),
    ("kgst", Abbrev::Dst(21600)),
    ("kgt", Abbrev::Dynamic("Asia/Bishkek")),
    ("kost", Abbrev::Dynamic("Pacific/Kosrae")),
    ("krast", Abbrev::Dynamic("Asia/Krasnoyarsk")),
    ("krat", Abbrev::Dynamic("Asia/Krasnoyarsk")),
    ("kst", Abbrev::Std(32400)),
    ("lhdt", Abbrev::Dynamic("Australia/Lord_Howe")),
    ("lhst", Abbrev::Std(37800)),
    ("ligt", Abbrev::Std(36000)),
    ("lint", Abbrev::Dynamic("Pacific/Kiritimati")),
    ("lkt", Abbrev::Dynamic("Asia/Colombo")),
    ("magst", Abbrev::Dynamic("Asia/Magadan")),
    ("magt", Abbrev::Dynamic("Asia/Magadan")),
    ("mart", Abbrev::Std(-34200)),
    ("mawt", Abbrev::Dynamic("Antarctica/Mawson")),
    ("mdt", Abbrev::Dst(-21600)),
    ("mest", Abbrev::Dst(7200)),
    ("mesz", Abbrev::Dst(7200)),
    ("met", Abbrev::Std(3600)),
    ("metdst", Abbrev::Dst(7200)),
    ("mez", Abbrev::Std(3600)),
    ("mht", Abbrev::Std(43200)),
    ("mmt", Abbrev::Std(23400)),
    ("mpt", Abbrev::Std(36000)),
    ("msd", Abbrev::Dst(14400)),
    ("msk", Abbrev::Dynamic("Europe/Moscow")),
    ("mst", Abbrev::Std(-25200)),
    ("must", Abbrev::Dst(18000)),
    ("mut", Abbrev::Std(14400)),
    ("mvt", Abbrev::Std(18000)),
    ("myt", Abbrev::Std(28800)),
    ("ndt", Abbrev::Dst(-9000)),
    ("nft", Abbrev::Std(-12600)),
    ("novst", Abbrev::Dynamic("Asia/Novosibirsk")),
    ("novt", Abbrev::Dynamic("Asia/Novosibirsk")),
    ("npt", Abbrev::Std(20700)),
    ("nst", Abbrev::Std(-12600)),
    ("nut", Abbrev::Dynamic("Pacific/Niue")),
    ("nzdt", Abbrev::Dst(46800)),
    ("nzst", Abbrev::Std(43200)),
    ("nzt", Abbrev::Std(43200)),
    ("omsst", Abbrev::Dynamic("Asia/Omsk")),
    ("omst", Abbrev::Dynamic("Asia/Omsk")),
    ("pdt", Abbrev::Dst(-25200)),
    ("pet", Abbrev::Std(-18000)),
    ("petst", Abbrev::Dynamic("Asia/Kamchatka")),
    ("pett", Abbrev::Dynamic("Asia/Kamchatka")),
    ("pgt", Abbrev::Std(36000)),
    ("pht", Abbrev::Std(28800)),
    ("pkst", Abbrev::Dst(21600)),
    ("pkt", Abbrev::Std(18000)),
    ("pmdt", Abbrev::Dst(-7200)),
    ("pmst", Abbrev::Std(-10800)),
    ("pont", Abbrev::Std(39600)),
    ("pst", Abbrev::Std(-28800)),
    ("pwt", Abbrev::Std(32400)),
    ("pyst", Abbrev::Dst(-10800)),
    ("pyt", Abbrev::Dynamic("America/Asuncion")),
    ("ret", Abbrev::Std(14400)),
    ("sadt", Abbrev::Dst(37800)),
    ("sast", Abbrev::Std(7200)),
    ("sct", Abbrev::Std(14400)),
    ("sgt", Abbrev::Dynamic("Asia/Singapore")),
    ("taht", Abbrev::Std(-36000)),
    ("tft", Abbrev::Std(18000)),
    ("tjt", Abbrev::Std(18000)),
    ("tkt", Abbrev::Dynamic("Pacific/Fakaofo")),
    ("tmt", Abbrev::Dynamic("Asia/Ashgabat")),
    ("tot", Abbrev::Std(46800)),
    ("trut", Abbrev::Std(36000)),
    ("tvt", Abbrev::Std(43200)),
    ("uct", Abbrev::Std(0)),
    ("ulast", Abbrev::Dst(32400)),
    ("ulat", Abbrev::Dynamic("Asia/Ulaanbaatar")),
    ("ut", Abbrev::Std(0)),
    ("utc", Abbrev::Std(0)),
    ("uyst", Abbrev::Dst(-7200)),
    ("uyt", Abbrev::Std(-10800)),
    ("uzst", Abbrev::Dst(21600)),
    ("uzt", Abbrev::Std(18000)),
    ("vet", Abbrev::Dynamic("America/Caracas")),
    ("vlast", Abbrev::Dynamic("Asia/Vladivostok")),
    ("vlat", Abbrev::Dynamic("Asia/Vladivostok")),
    ("volt", Abbrev::Dynamic("Europe/Volgograd")),
    ("vut", Abbrev::Std(39600)),
    ("wadt", Abbrev::Dst(28800)),
    ("wakt", Abbrev::Std(43200)),
    ("wast", Abbrev::Std(25200)),
    ("wat", Abbrev::Std(3600)),
    ("wdt", Abbrev::Dst(32400)),
    ("wet", Abbrev::Std(0)),
    ("wetdst", Abbrev::Dst(3600)),
    ("wft", Abbrev::Std(43200)),
    ("wgst", Abbrev::Dst(-7200)),
    ("wgt", Abbrev::Std(-10800)),
    ("xjt", Abbrev::Std(21600)),
    ("yakst", Abbrev::Dynamic("Asia/Yakutsk")),
    ("yakt", Abbrev::Dynamic("Asia/Yakutsk")),
    ("yapt", Abbrev::Std(36000)),
    ("yekst", Abbrev::Dst(21600)),
    ("yekt", Abbrev::Dynamic("Asia/Yekaterinburg")),
    ("z", Abbrev::Std(0)),
    ("zulu", Abbrev::Std(0)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(DATE_TOKENS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(date_token("sept"), Some(Token::Month(9)));
        assert_eq!(abbreviation("est"), Some(Abbrev::Std(-5 * 3600)));
        assert_eq!(abbreviation("msk"), Some(Abbrev::Dynamic("Europe/Moscow")));
        assert_eq!(date_token("nonesuch"), None);
    }
}

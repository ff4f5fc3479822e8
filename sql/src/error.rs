//! The crate's one error type.
//!
//! Every variant is something a caller acts on and maps to exactly one PostgreSQL SQLSTATE via
//! [`Error::code`]; the pgwire front end sends `code()` and the `Display` text as the error's
//! `C` and `M` fields. Messages follow PostgreSQL's wording where PostgreSQL has one, so that
//! `.slt` files checked against PostgreSQL 15 match on message text too.
//!
//! Storage implementations return these errors as well (unique violations, serialization
//! failures, deadlocks): the [`crate::storage`] trait is part of this crate's contract.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error with a SQLSTATE. See the module docs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// 42601: the text does not parse, or a clause is malformed.
    #[error("{0}")]
    SyntaxError(String),
    /// 0A000: valid SQL that Strata does not implement (yet).
    #[error("{0}")]
    FeatureNotSupported(String),
    /// 0A000 with a DETAIL (a partitioned table's unique key missing a key column).
    #[error("{message}")]
    FeatureNotSupportedDetail { message: String, detail: String },
    /// 42P01
    #[error("relation \"{0}\" does not exist")]
    UndefinedTable(String),
    /// 42P01 with a message naming the kind (`table "t" does not exist`, DROP's wording).
    #[error("{0}")]
    NoSuchRelation(String),
    /// 42P01 for a qualifier naming no FROM item.
    #[error("missing FROM-clause entry for table \"{0}\"")]
    MissingFromEntry(String),
    /// 42P07 (tables and indexes share PostgreSQL's relation namespace).
    #[error("relation \"{0}\" already exists")]
    DuplicateTable(String),
    /// 42P07 naming the schema (`ALTER TABLE ... SET SCHEMA`): relation, schema.
    #[error("relation \"{0}\" already exists in schema \"{1}\"")]
    DuplicateTableInSchema(String, String),
    /// 42703
    #[error("column \"{0}\" does not exist")]
    UndefinedColumn(String),
    /// 42703 with its whole message (`column "z" named in partition key does not exist`).
    #[error("{0}")]
    UndefinedColumnMessage(String),
    /// 42703 for `qualifier.column` (PostgreSQL writes it unquoted).
    #[error("column {0} does not exist")]
    UndefinedQualifiedColumn(String),
    /// 42701
    #[error("column \"{0}\" specified more than once")]
    DuplicateColumn(String),
    /// 42701 for a user column named like a system column.
    #[error("column name \"{0}\" conflicts with a system column name")]
    SystemColumnName(String),
    /// 42702
    #[error("column reference \"{0}\" is ambiguous")]
    AmbiguousColumn(String),
    /// 42702 with PostgreSQL's whole message (`ORDER BY "a" is ambiguous`).
    #[error("{0}")]
    Ambiguous(String),
    /// 42883
    #[error("{0}")]
    UndefinedFunction(String),
    /// 42725: a function or operator call that matches several overloads equally well.
    #[error("{0}")]
    AmbiguousFunction(String),
    /// 42723
    #[error("{0}")]
    DuplicateFunction(String),
    /// 42P13
    #[error("{0}")]
    InvalidFunctionDefinition(String),
    /// 42704 (e.g. an unknown type name or index).
    #[error("{0}")]
    UndefinedObject(String),
    /// 3D000: a database that does not exist.
    #[error("{0}")]
    UndefinedDatabase(String),
    /// 42804
    #[error("{0}")]
    DatatypeMismatch(String),
    /// 42804 with a DETAIL.
    #[error("{message}")]
    DatatypeMismatchDetail { message: String, detail: String },
    /// 42809: e.g. OVER on a function that is not a window function, `op ANY (x)` where x is
    /// not an array.
    #[error("{0}")]
    WrongObjectType(String),
    /// 42846
    #[error("{0}")]
    CannotCoerce(String),
    /// 42803: an ungrouped column or a misplaced aggregate.
    #[error("{0}")]
    GroupingError(String),
    /// 42712: e.g. a WITH query name used twice.
    #[error("{0}")]
    DuplicateAlias(String),
    /// 42P20: a misplaced or malformed window function call or frame.
    #[error("{0}")]
    WindowingError(String),
    /// 42P19: a malformed WITH RECURSIVE query.
    #[error("{0}")]
    InvalidRecursion(String),
    /// 42P10: e.g. an ORDER BY position out of range.
    #[error("{0}")]
    InvalidColumnReference(String),
    /// 42P16: e.g. multiple primary keys.
    #[error("{0}")]
    InvalidTableDefinition(String),
    /// 42P18: a `$n` whose type cannot be inferred.
    #[error("could not determine data type of parameter ${0}")]
    IndeterminateDatatype(usize),
    /// 42P18 for an expression whose type cannot be inferred (`ARRAY[]` without a cast).
    #[error("{0}")]
    IndeterminateType(String),
    /// 08P01 / 22023 style problems with bound parameters.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// 22023 with PostgreSQL's DETAIL line.
    #[error("{message}")]
    InvalidParameterValueDetail { message: String, detail: String },
    /// 22P02
    #[error("{0}")]
    InvalidTextRepresentation(String),
    /// 42846 with PostgreSQL's DETAIL (`cannot cast type record to t`).
    #[error("{message}")]
    CannotCoerceDetail { message: String, detail: String },
    /// 22P02 with PostgreSQL's DETAIL (`malformed record literal: "..."`).
    #[error("{message}")]
    MalformedLiteral { message: String, detail: String },
    /// 22003
    #[error("{0}")]
    NumericValueOutOfRange(String),
    /// 22012
    #[error("division by zero")]
    DivisionByZero,
    /// 22001. The payload is the type's name, e.g. `character varying(5)`.
    #[error("value too long for type {0}")]
    StringDataRightTruncation(String),
    /// 22007: e.g. `invalid input syntax for type timestamp: "x"`.
    #[error("{0}")]
    InvalidDatetimeFormat(String),
    /// 22009: a time zone offset beyond ±16 hours.
    #[error("{0}")]
    InvalidTimeZoneDisplacement(String),
    /// 22008: e.g. `date/time field value out of range`, `timestamp out of range`.
    #[error("{0}")]
    DatetimeFieldOverflow(String),
    /// 22015: `interval out of range`.
    #[error("{0}")]
    IntervalFieldOverflow(String),
    /// 22P03: a binary-format parameter that does not decode.
    #[error("{0}")]
    InvalidBinaryRepresentation(String),
    /// 2202E: e.g. `array subscript out of range` on assignment.
    #[error("{0}")]
    ArraySubscriptError(String),
    /// 22000: a data exception without a more specific code.
    #[error("{0}")]
    DataException(String),
    /// 2201E: e.g. the logarithm of a negative number.
    #[error("{0}")]
    InvalidArgumentForLogarithm(String),
    /// 2201F: e.g. the square root of a negative number.
    #[error("{0}")]
    InvalidArgumentForPowerFunction(String),
    /// 22004: e.g. a NULL where a function refuses one, a NULL window frame offset.
    #[error("{0}")]
    NullValueNotAllowed(String),
    /// 22P05: e.g. `\u0000` in jsonb text.
    #[error("{0}")]
    UntranslatableCharacter(String),
    /// The SQL/JSON path errors (22033, 22038, 22039, 2203A, 2203B, 2203C, ...): the
    /// SQLSTATE and the message.
    #[error("{1}")]
    SqlJson(&'static str, String),
    /// 2201W / 2201X
    #[error("{0}")]
    InvalidRowCountInLimit(String),
    /// 22P04: malformed COPY data (a missing or extra column, an unterminated CSV quote).
    #[error("{0}")]
    BadCopyFileFormat(String),
    /// 22021: bytes that are not valid UTF-8.
    #[error("{0}")]
    CharacterNotInRepertoire(String),
    /// Another error, with PostgreSQL's CONTEXT line (e.g. `COPY t, line 3, column x:
    /// "abc"`); its SQLSTATE and DETAIL are the inner error's.
    #[error("{error}")]
    WithContext { error: Box<Error>, context: String },
    /// Another error, with PostgreSQL's HINT (e.g. the column a misspelt name may mean).
    #[error("{error}")]
    WithHint { error: Box<Error>, hint: String },
    /// Another error, with the position in the query text it points at (PostgreSQL's `P`
    /// field: 1-based, in characters; see [`crate::position`]).
    #[error("{error}")]
    Positioned { error: Box<Error>, position: u32 },
    /// Another error, with the object it is about (PostgreSQL's schema, table, column,
    /// datatype and constraint name fields, which ORMs read to tell which constraint a
    /// violation broke); its SQLSTATE, DETAIL and CONTEXT are the inner error's.
    #[error("{error}")]
    OnObject {
        error: Box<Error>,
        object: Box<ErrorObject>,
    },
    /// 22025
    #[error("{0}")]
    InvalidEscapeSequence(String),
    /// 39000 (external_routine_invocation_exception): e.g. pgcrypto's `Length not in range`.
    #[error("{0}")]
    ExternalRoutine(String),
    /// 0A000 for `CREATE EXTENSION` of an extension Strata does not ship, with PostgreSQL's
    /// DETAIL (the control file it would read) and HINT.
    #[error("extension \"{name}\" is not available")]
    ExtensionNotAvailable { name: String, detail: String },
    /// 22011
    #[error("{0}")]
    SubstringError(String),
    /// An error a PL/pgSQL `RAISE` raised (or re-raised), with any SQLSTATE: P0001 by
    /// default, the condition's or `USING ERRCODE`'s otherwise.
    /// Boxed: `Error` is in every `Result` of expression evaluation, whose recursion must
    /// stay small per level (see `Expr::eval`).
    #[error("{}", .0.message)]
    Raised(Box<Raised>),
    /// 2201B
    #[error("{0}")]
    InvalidRegularExpression(String),
    /// 22013: a negative window frame offset.
    #[error("{0}")]
    InvalidPrecedingOrFollowingSize(String),
    /// 22014
    #[error("{0}")]
    InvalidArgumentForNtile(String),
    /// 22016
    #[error("{0}")]
    InvalidArgumentForNthValue(String),
    /// 2201G: `width_bucket`'s count or bounds.
    #[error("{0}")]
    InvalidArgumentForWidthBucket(String),
    /// 23502
    #[error(
        "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
    )]
    NotNullViolation {
        table: String,
        column: String,
        /// `Failing row contains (...)`.
        detail: String,
    },
    /// 23502 of a domain: `domain d does not allow null values`, `column "c" of table "t"
    /// contains null values` (ALTER DOMAIN ... SET NOT NULL).
    #[error("{0}")]
    DomainNotNull(String),
    /// 23505. `detail` is PostgreSQL's DETAIL line, e.g. `Key (id)=(1) already exists.`
    #[error("duplicate key value violates unique constraint \"{constraint}\"")]
    UniqueViolation { constraint: String, detail: String },
    /// 23505 from building a unique index (CREATE UNIQUE INDEX, ADD PRIMARY KEY or UNIQUE)
    /// over rows that hold a key twice; `detail` is `Key (id)=(1) is duplicated.`
    #[error("could not create unique index \"{index}\"")]
    UniqueIndexDuplicate { index: String, detail: String },
    /// 23514: `detail` is PostgreSQL's `Failing row contains (...)`, empty when existing
    /// rows are validated.
    #[error("{message}")]
    CheckViolation { message: String, detail: String },
    /// 23502 when a NOT NULL constraint is added to a column holding NULLs.
    #[error("column \"{column}\" of relation \"{table}\" contains null values")]
    ExistingNullValues { table: String, column: String },
    /// 42830: a foreign key without a matching unique constraint.
    #[error("{0}")]
    InvalidForeignKey(String),
    /// 23503: a foreign key's referenced row is missing, or still referenced.
    #[error("{message}")]
    ForeignKeyViolation { message: String, detail: String },
    /// 2BP01: DROP without CASCADE of an object others depend on.
    #[error("{message}")]
    DependentObjectsStillExist { message: String, detail: String },
    /// 428C9: a value for a GENERATED ALWAYS column.
    #[error("{message}")]
    GeneratedAlways { message: String, detail: String },
    /// 3F000
    #[error("{0}")]
    InvalidSchemaName(String),
    /// 42P06
    #[error("schema \"{0}\" already exists")]
    DuplicateSchema(String),
    /// 42710: e.g. a constraint name already used on the table.
    #[error("{0}")]
    DuplicateObject(String),
    /// 55000: e.g. currval before nextval in the session.
    #[error("{0}")]
    ObjectNotInPrerequisiteState(String),
    /// 2200H: nextval past a sequence's bound without CYCLE.
    #[error("{0}")]
    SequenceGeneratorLimitExceeded(String),
    /// 42501
    #[error("{0}")]
    InsufficientPrivilege(String),
    /// 0LP01: e.g. a privilege that does not apply to the object's kind.
    #[error("{0}")]
    InvalidGrantOperation(String),
    /// 55006: e.g. DROP ROLE of the current user.
    #[error("{0}")]
    ObjectInUse(String),
    /// 42939: e.g. a schema name starting with `pg_`.
    #[error("{0}")]
    ReservedName(String),
    /// 42P17: e.g. a view that reaches itself.
    #[error("{0}")]
    InvalidObjectDefinition(String),
    /// 42P10 with a DETAIL (e.g. a generated column named in COPY).
    #[error("{message}")]
    InvalidColumnReferenceDetail { message: String, detail: String },
    /// 42P17 with a DETAIL (e.g. a generation expression naming a generated column).
    #[error("{message}")]
    InvalidObjectDefinitionDetail { message: String, detail: String },
    /// 42602: a malformed name given as text (`'a.b.c.d'::regclass`).
    #[error("{0}")]
    InvalidName(String),
    /// 21000: e.g. ON CONFLICT DO UPDATE touching one row twice.
    #[error("{0}")]
    CardinalityViolation(String),
    /// 40001
    #[error("{0}")]
    SerializationFailure(String),
    /// 40P01
    #[error("deadlock detected")]
    DeadlockDetected,
    /// 25P02
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,
    /// 25001: e.g. SET TRANSACTION ISOLATION LEVEL after the first query.
    #[error("{0}")]
    ActiveTransaction(String),
    /// 25006: a write on a node that does not accept writes (a read replica, or a primary
    /// whose timeline a newer primary took over).
    #[error("{0}")]
    ReadOnlySqlTransaction(String),
    /// 55P03: a lock that NOWAIT would have had to wait for.
    #[error("{0}")]
    LockNotAvailable(String),
    /// 25P01: e.g. SAVEPOINT outside a transaction block.
    #[error("{0} can only be used in transaction blocks")]
    NoActiveTransaction(&'static str),
    /// 3B001
    #[error("savepoint \"{0}\" does not exist")]
    UndefinedSavepoint(String),
    /// 34000
    #[error("cursor \"{0}\" does not exist")]
    InvalidCursorName(String),
    /// 42P03
    #[error("cursor \"{0}\" already exists")]
    DuplicateCursor(String),
    /// 26000
    #[error("prepared statement \"{0}\" does not exist")]
    UndefinedPreparedStatement(String),
    /// 42P05
    #[error("prepared statement \"{0}\" already exists")]
    DuplicatePreparedStatement(String),
    /// 42601: EXECUTE with another number of arguments than the statement has parameters.
    #[error("wrong number of parameters for prepared statement \"{name}\"")]
    WrongParameterCount { name: String, detail: String },
    /// 42704 for SET/SHOW of an unknown parameter.
    #[error("unrecognized configuration parameter \"{0}\"")]
    UndefinedParameter(String),
    /// 55P02: SET of a parameter that cannot be changed (e.g. `server_version`).
    #[error("parameter \"{0}\" cannot be changed")]
    CantChangeRuntimeParam(String),
    /// 57014 with its own message (e.g. `COPY from stdin failed: ...` after a CopyFail).
    #[error("{0}")]
    QueryCanceledWith(String),
    /// 57014: the statement was canceled (a client's CancelRequest); see [`crate::interrupt`].
    #[error("canceling statement due to user request")]
    QueryCanceled,
    /// 57P01: the server is closing the session while the statement ran (it stops serving or
    /// shuts down). The front end sends it as FATAL and closes the connection, as
    /// PostgreSQL's fast shutdown does.
    #[error("terminating connection due to administrator command")]
    AdminShutdown,
    /// 53200: an operator's rows or hash table would exceed `work_mem` (no spilling yet).
    #[error("out of memory: {0}")]
    OutOfMemory(String),
    /// 54001: an expression nested deeper than the binder accepts.
    #[error("stack depth limit exceeded")]
    StackDepthExceeded,
    /// 2202H (invalid_tablesample_argument): a NULL or out-of-range sample percentage.
    #[error("{0}")]
    InvalidTablesampleArgument(String),
    /// 2202G (invalid_tablesample_repeat): a NULL REPEATABLE seed.
    #[error("{0}")]
    InvalidTablesampleRepeat(String),
    /// 54001 (statement_too_complex): e.g. more than 4096 grouping sets.
    #[error("{0}")]
    StatementTooComplex(String),
    /// 54011 (too_many_columns): e.g. a CUBE of more than 12 elements.
    #[error("{0}")]
    TooManyColumns(String),
    /// 54023 (too_many_arguments): e.g. GROUPING with 32 or more arguments.
    #[error("{0}")]
    TooManyArguments(String),
    /// 54000: a configured limit of the system was hit (a row or key too large for a page,
    /// a transaction's write set or WAL record over its maximum).
    #[error("{0}")]
    ProgramLimitExceeded(String),
    /// XX001: stored data failed a check (a page's CRC or fences, a row that does not
    /// decode, a WAL change that redo refuses).
    #[error("{0}")]
    DataCorrupted(String),
    /// 58030 (io_error): storage could not be reached or read (the pageserver is down,
    /// a page fetch failed after its retries). The statement may succeed when retried.
    #[error("could not read from storage: {0}")]
    StorageUnavailable(String),
    /// 72000 (snapshot_too_old): the statement's snapshot is older than what storage still
    /// keeps (the pageserver's GC passed it: past the PITR window, with no lease holding it).
    /// PostgreSQL's wording; the detail says which LSN and why. Retrying with a new
    /// snapshot (a new transaction) succeeds.
    #[error("snapshot too old")]
    SnapshotTooOld(String),
    /// 08006 (connection_failure): the server lost what it needs to answer truthfully —
    /// e.g. its WAL while a commit was on its way, so the transaction may or may not have
    /// committed. The front end sends it as FATAL and closes the connection, as a client
    /// of PostgreSQL sees when it loses the server mid-commit.
    #[error("{0}")]
    ConnectionFailure(String),
    /// XX000: a broken invariant inside the engine or a storage failure.
    #[error("internal error: {0}")]
    Internal(String),
    /// XX000 with PostgreSQL's own text: an `elog(ERROR)` users can reach (e.g.
    /// `setweight`'s "unrecognized weight: 120").
    #[error("{0}")]
    InternalPlain(String),
    /// 2200F: an empty string where one is not allowed (`array_to_tsvector`).
    #[error("{0}")]
    ZeroLengthCharacterString(String),
}

/// The object an error is about, as PostgreSQL's ErrorResponse names it: `s` (schema), `t`
/// (table), `c` (column), `d` (datatype) and `n` (constraint). PostgreSQL 15 sends them on
/// integrity violations only: 23505 and 23503 and 23514 name schema, table and constraint;
/// 23502 names schema, table and column; a domain's violation names schema, datatype (and
/// constraint). Data errors such as 22001 and 22003 name none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorObject {
    pub schema: Option<String>,
    pub table: Option<String>,
    pub column: Option<String>,
    pub datatype: Option<String>,
    pub constraint: Option<String>,
}

impl ErrorObject {
    /// Table `table` of schema `schema`.
    pub fn table(schema: &str, table: &str) -> ErrorObject {
        ErrorObject {
            schema: Some(schema.to_string()),
            table: Some(table.to_string()),
            ..ErrorObject::default()
        }
    }

    /// Constraint `name` of this object.
    pub fn constraint(mut self, name: &str) -> ErrorObject {
        self.constraint = Some(name.to_string());
        self
    }

    /// Column `name` of this object.
    pub fn column(mut self, name: &str) -> ErrorObject {
        self.column = Some(name.to_string());
        self
    }
}

/// What a PL/pgSQL `RAISE` raised ([`Error::Raised`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub code: &'static str,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Error {
    /// The PostgreSQL SQLSTATE of this error.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            SyntaxError(_) => "42601",
            Raised(r) => r.code,
            FeatureNotSupported(_) | FeatureNotSupportedDetail { .. } => "0A000",
            UndefinedTable(_) | MissingFromEntry(_) | NoSuchRelation(_) => "42P01",
            DuplicateTable(_) | DuplicateTableInSchema(..) => "42P07",
            UndefinedColumn(_) | UndefinedQualifiedColumn(_) | UndefinedColumnMessage(_) => "42703",
            DuplicateColumn(_) | SystemColumnName(_) => "42701",
            AmbiguousColumn(_) | Ambiguous(_) => "42702",
            UndefinedFunction(_) => "42883",
            AmbiguousFunction(_) => "42725",
            DuplicateFunction(_) => "42723",
            InvalidFunctionDefinition(_) => "42P13",
            UndefinedObject(_) => "42704",
            UndefinedDatabase(_) => "3D000",
            DatatypeMismatch(_) | DatatypeMismatchDetail { .. } => "42804",
            WrongObjectType(_) => "42809",
            CannotCoerce(_) | CannotCoerceDetail { .. } => "42846",
            GroupingError(_) => "42803",
            DuplicateAlias(_) => "42712",
            InvalidRecursion(_) => "42P19",
            WindowingError(_) => "42P20",
            InvalidColumnReference(_) | InvalidColumnReferenceDetail { .. } => "42P10",
            InvalidTableDefinition(_) => "42P16",
            IndeterminateDatatype(_) | IndeterminateType(_) => "42P18",
            InvalidParameterValue(_) | InvalidParameterValueDetail { .. } => "22023",
            InvalidTextRepresentation(_) | MalformedLiteral { .. } => "22P02",
            NumericValueOutOfRange(_) => "22003",
            DivisionByZero => "22012",
            SqlJson(code, _) => code,
            StringDataRightTruncation(_) => "22001",
            InvalidDatetimeFormat(_) => "22007",
            InvalidTimeZoneDisplacement(_) => "22009",
            DatetimeFieldOverflow(_) => "22008",
            IntervalFieldOverflow(_) => "22015",
            InvalidBinaryRepresentation(_) => "22P03",
            ArraySubscriptError(_) => "2202E",
            DataException(_) => "22000",
            InvalidArgumentForLogarithm(_) => "2201E",
            InvalidArgumentForPowerFunction(_) => "2201F",
            UntranslatableCharacter(_) => "22P05",
            InvalidRowCountInLimit(_) => "2201W",
            NullValueNotAllowed(_) => "22004",
            BadCopyFileFormat(_) => "22P04",
            CharacterNotInRepertoire(_) => "22021",
            WithContext { error, .. }
            | Positioned { error, .. }
            | WithHint { error, .. }
            | OnObject { error, .. } => error.code(),
            InvalidEscapeSequence(_) => "22025",
            ExternalRoutine(_) => "39000",
            ExtensionNotAvailable { .. } => "0A000",
            SubstringError(_) => "22011",
            InvalidRegularExpression(_) => "2201B",
            InvalidPrecedingOrFollowingSize(_) => "22013",
            InvalidArgumentForNtile(_) => "22014",
            InvalidArgumentForNthValue(_) => "22016",
            InvalidArgumentForWidthBucket(_) => "2201G",
            NotNullViolation { .. } => "23502",
            UniqueViolation { .. } | UniqueIndexDuplicate { .. } => "23505",
            DomainNotNull(_) => "23502",
            CardinalityViolation(_) => "21000",
            CheckViolation { .. } => "23514",
            ExistingNullValues { .. } => "23502",
            InvalidForeignKey(_) => "42830",
            ForeignKeyViolation { .. } => "23503",
            DependentObjectsStillExist { .. } => "2BP01",
            GeneratedAlways { .. } => "428C9",
            InvalidSchemaName(_) => "3F000",
            DuplicateSchema(_) => "42P06",
            DuplicateObject(_) => "42710",

            ObjectNotInPrerequisiteState(_) => "55000",
            SequenceGeneratorLimitExceeded(_) => "2200H",

            InsufficientPrivilege(_) => "42501",
            ReservedName(_) => "42939",
            InvalidGrantOperation(_) => "0LP01",
            ObjectInUse(_) => "55006",
            InvalidObjectDefinition(_) | InvalidObjectDefinitionDetail { .. } => "42P17",
            InvalidName(_) => "42602",
            SerializationFailure(_) => "40001",
            DeadlockDetected => "40P01",
            InFailedTransaction => "25P02",
            ActiveTransaction(_) => "25001",
            ReadOnlySqlTransaction(_) => "25006",
            NoActiveTransaction(_) => "25P01",
            LockNotAvailable(_) => "55P03",
            UndefinedSavepoint(_) => "3B001",
            InvalidCursorName(_) => "34000",
            DuplicateCursor(_) => "42P03",
            UndefinedPreparedStatement(_) => "26000",
            DuplicatePreparedStatement(_) => "42P05",
            WrongParameterCount { .. } => "42601",
            UndefinedParameter(_) => "42704",
            CantChangeRuntimeParam(_) => "55P02",
            StackDepthExceeded | StatementTooComplex(_) => "54001",
            TooManyColumns(_) => "54011",
            InvalidTablesampleArgument(_) => "2202H",
            InvalidTablesampleRepeat(_) => "2202G",
            TooManyArguments(_) => "54023",
            ProgramLimitExceeded(_) => "54000",
            OutOfMemory(_) => "53200",
            DataCorrupted(_) => "XX001",
            StorageUnavailable(_) => "58030",
            SnapshotTooOld(_) => "72000",
            QueryCanceled | QueryCanceledWith(_) => "57014",
            AdminShutdown => "57P01",
            ConnectionFailure(_) => "08006",
            Internal(_) | InternalPlain(_) => "XX000",
            ZeroLengthCharacterString(_) => "2200F",
        }
    }

    /// PostgreSQL's DETAIL field, when the error has one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::WithContext { error, .. }
            | Error::Positioned { error, .. }
            | Error::WithHint { error, .. }
            | Error::OnObject { error, .. } => error.detail(),
            Error::CheckViolation { detail, .. }
            | Error::UniqueViolation { detail, .. }
            | Error::ForeignKeyViolation { detail, .. }
                if detail.is_empty() =>
            {
                None
            }
            Error::DependentObjectsStillExist { detail, .. } if detail.is_empty() => None,
            Error::SnapshotTooOld(detail) => Some(detail),
            Error::Raised(r) => r.detail.as_deref(),
            Error::ExtensionNotAvailable { detail, .. } => Some(detail),
            Error::UniqueViolation { detail, .. }
            | Error::UniqueIndexDuplicate { detail, .. }
            | Error::CheckViolation { detail, .. }
            | Error::NotNullViolation { detail, .. }
            | Error::ForeignKeyViolation { detail, .. }
            | Error::DependentObjectsStillExist { detail, .. }
            | Error::GeneratedAlways { detail, .. }
            | Error::MalformedLiteral { detail, .. }
            | Error::CannotCoerceDetail { detail, .. }
            | Error::DatatypeMismatchDetail { detail, .. }
            | Error::InvalidObjectDefinitionDetail { detail, .. }
            | Error::FeatureNotSupportedDetail { detail, .. }
            | Error::InvalidColumnReferenceDetail { detail, .. }
            | Error::InvalidParameterValueDetail { detail, .. }
            | Error::WrongParameterCount { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// PostgreSQL's HINT field, when the error has one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::WithHint { hint, .. } => Some(hint),
            Error::Raised(r) => r.hint.as_deref(),
            Error::WithContext { error, .. }
            | Error::Positioned { error, .. }
            | Error::OnObject { error, .. } => error.hint(),
            Error::UndefinedFunction(m)
                if m.starts_with("function ") && m.ends_with(" does not exist") =>
            {
                Some(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                )
            }
            Error::UndefinedFunction(m) if m.starts_with("operator does not exist") => Some(
                "No operator matches the given name and argument types. You might need to add explicit type casts.",
            ),
            // DROP ROLE's refusal has no hint: CASCADE does not apply to roles.
            Error::DependentObjectsStillExist { message, .. }
                if message == "dependent privileges exist" =>
            {
                Some("Use CASCADE to revoke them too.")
            }
            Error::DependentObjectsStillExist { message, .. }
                if !message.starts_with("role ") && !message.starts_with("cannot drop role") =>
            {
                Some("Use DROP ... CASCADE to drop the dependent objects too.")
            }
            Error::ExtensionNotAvailable { .. } => Some(
                "The extension must first be installed on the system where PostgreSQL is running.",
            ),
            Error::GeneratedAlways { message, detail }
                if message.starts_with("cannot insert") && detail.contains("identity") =>
            {
                Some("Use OVERRIDING SYSTEM VALUE to override.")
            }
            _ => None,
        }
    }

    /// PostgreSQL's CONTEXT field, when the error has one.
    pub fn context(&self) -> Option<&str> {
        match self {
            Error::WithContext { context, .. } => Some(context),
            Error::Positioned { error, .. }
            | Error::WithHint { error, .. }
            | Error::OnObject { error, .. } => error.context(),
            _ => None,
        }
    }

    /// The error under any CONTEXT wrapping.
    pub fn innermost(&self) -> &Error {
        match self {
            Error::WithContext { error, .. }
            | Error::Positioned { error, .. }
            | Error::WithHint { error, .. }
            | Error::OnObject { error, .. } => error.innermost(),
            e => e,
        }
    }

    /// This error with a CONTEXT line.
    pub fn with_context(self, context: impl Into<String>) -> Error {
        Error::WithContext {
            error: Box::new(self),
            context: context.into(),
        }
    }

    /// The position in the query text this error points at, if it has one.
    pub fn position(&self) -> Option<u32> {
        match self {
            Error::Positioned { position, .. } => Some(*position),
            Error::WithContext { error, .. }
            | Error::WithHint { error, .. }
            | Error::OnObject { error, .. } => error.position(),
            _ => None,
        }
    }

    /// This error pointing at `position` (none: unchanged).
    pub fn at_position(self, position: Option<u32>) -> Error {
        match position {
            Some(position) if self.position().is_none() => Error::Positioned {
                error: Box::new(self),
                position,
            },
            _ => self,
        }
    }

    /// The object this error is about, if it names one (see [`ErrorObject`]).
    pub fn object(&self) -> Option<&ErrorObject> {
        match self {
            Error::OnObject { object, .. } => Some(object),
            Error::WithContext { error, .. }
            | Error::Positioned { error, .. }
            | Error::WithHint { error, .. } => error.object(),
            _ => None,
        }
    }

    /// This error about `object` (PostgreSQL's s/t/c/d/n fields).
    pub fn on(self, object: ErrorObject) -> Error {
        Error::OnObject {
            error: Box::new(self),
            object: Box::new(object),
        }
    }

    /// Shorthand for [`Error::FeatureNotSupported`].
    pub fn unsupported(what: impl Into<String>) -> Self {
        Error::FeatureNotSupported(what.into())
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn limit_and_corruption_errors_carry_their_own_sqlstates() {
        let limit = Error::ProgramLimitExceeded("transaction write set exceeds 10 bytes".into());
        assert_eq!(limit.code(), "54000");
        assert_eq!(limit.to_string(), "transaction write set exceeds 10 bytes");
        assert_eq!(Error::DataCorrupted("page 3/1".into()).code(), "XX001");
        assert_eq!(Error::StorageUnavailable("down".into()).code(), "58030");
        assert_eq!(Error::Internal("x".into()).code(), "XX000");
        assert_eq!(Error::ConnectionFailure("lost".into()).code(), "08006");
        let old = Error::SnapshotTooOld("snapshot 0/100 is below the GC cutoff 0/200".into());
        assert_eq!(old.code(), "72000");
        assert_eq!(old.to_string(), "snapshot too old");
        assert_eq!(
            old.detail(),
            Some("snapshot 0/100 is below the GC cutoff 0/200")
        );
    }
}

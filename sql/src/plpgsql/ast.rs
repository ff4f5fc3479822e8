//! The syntax tree of a PL/pgSQL body. Expressions and embedded SQL stay text (cut from the
//! body by the parser): the executor runs them through the session's SQL machinery with
//! the variables they name bound as parameters.

/// `[<<label>>] [DECLARE decls] BEGIN body [EXCEPTION handlers] END [label]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// `#variable_conflict` (only on the outermost block).
    pub conflict: super::conflict::Conflict,
    pub label: Option<String>,
    pub decls: Vec<Decl>,
    pub body: Vec<Stmt>,
    pub handlers: Vec<Handler>,
}

/// `name [CONSTANT] type [NOT NULL] [{DEFAULT | := | =} expr]` or `name ALIAS FOR $n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    pub name: String,
    pub data_type: DeclType,
    pub constant: bool,
    pub not_null: bool,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeclType {
    /// A type as written (`int`, `numeric(10,2)`, `text[]`).
    Named(String),
    /// `record`, or `table%ROWTYPE` (the table's name).
    Record(Option<String>),
    /// `variable%TYPE` or `table.column%TYPE`.
    TypeOf(String),
    /// `ALIAS FOR name` / `ALIAS FOR $n`.
    Alias(String),
    /// `[[NO] SCROLL] CURSOR [(params)] FOR query`: a bound cursor variable.
    Cursor(std::rc::Rc<CursorDecl>),
}

/// A bound cursor's declaration (`name [[NO] SCROLL] CURSOR [(params)] FOR query`).
#[derive(Debug, Clone, PartialEq)]
pub struct CursorDecl {
    /// `SCROLL` (`Some(true)`), `NO SCROLL` (`Some(false)`) or neither.
    pub scroll: Option<bool>,
    /// The parameters' names and types (as written).
    pub params: Vec<(String, String)>,
    pub query: String,
}

/// What OPEN opens.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenSource {
    /// A bound cursor's own query, with its arguments in parameter order.
    Bound(Vec<String>),
    /// `[[NO] SCROLL] FOR query` / `FOR EXECUTE ...` of an unbound cursor variable.
    Query {
        scroll: Option<bool>,
        query: QuerySource,
    },
}

/// Where FETCH / MOVE go; counts are expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchDirection {
    /// NEXT, FORWARD [n | ALL] (`None`: ALL), a bare count.
    Forward(Option<String>),
    /// PRIOR, BACKWARD [n | ALL].
    Backward(Option<String>),
    /// FIRST, LAST, ABSOLUTE n.
    Absolute(String),
    Relative(String),
}

/// `WHEN cond [OR cond ...] THEN body`.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// SQLSTATEs or classes (`22000`: a class, ends with `000`); `None` for OTHERS.
    pub conditions: Vec<Option<String>>,
    pub body: Vec<Stmt>,
}

/// `INTO [STRICT] target, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Into {
    pub targets: Vec<String>,
    pub strict: bool,
}

/// A query a loop or RETURN QUERY reads: SQL text, or `EXECUTE expr [USING ...]`.
#[derive(Debug, Clone, PartialEq)]
pub enum QuerySource {
    Static(String),
    Dynamic { expr: String, using: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaiseLevel {
    Debug,
    Log,
    Info,
    Notice,
    Warning,
    Exception,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Block(Block),
    /// `target := expr` (target a variable, `rec.field`).
    Assign {
        target: String,
        expr: String,
    },
    If {
        arms: Vec<(String, Vec<Stmt>)>,
        otherwise: Vec<Stmt>,
    },
    /// `CASE [subject] WHEN a[, b] THEN ... [ELSE ...] END CASE`.
    Case {
        subject: Option<String>,
        arms: Vec<(String, Vec<Stmt>)>,
        otherwise: Option<Vec<Stmt>>,
    },
    Loop {
        label: Option<String>,
        body: Vec<Stmt>,
    },
    While {
        label: Option<String>,
        cond: String,
        body: Vec<Stmt>,
    },
    ForRange {
        label: Option<String>,
        var: String,
        reverse: bool,
        low: String,
        high: String,
        step: Option<String>,
        body: Vec<Stmt>,
    },
    ForQuery {
        label: Option<String>,
        var: String,
        query: QuerySource,
        body: Vec<Stmt>,
    },
    /// `FOR var IN cursor[(args)] LOOP` over a bound cursor.
    ForCursor {
        label: Option<String>,
        var: String,
        cursor: String,
        args: Vec<String>,
        body: Vec<Stmt>,
    },
    Foreach {
        label: Option<String>,
        var: String,
        array: String,
        body: Vec<Stmt>,
    },
    /// EXIT (or CONTINUE) [label] [WHEN cond].
    Exit {
        is_continue: bool,
        label: Option<String>,
        cond: Option<String>,
    },
    Return(Option<String>),
    ReturnNext(Option<String>),
    ReturnQuery(QuerySource),
    Perform(String),
    /// An SQL statement, with `INTO` cut out of its text.
    Sql {
        text: String,
        into: Option<Into>,
    },
    Execute {
        expr: String,
        into: Option<Into>,
        using: Vec<String>,
    },
    Raise {
        level: RaiseLevel,
        /// The condition (`division_by_zero`, `SQLSTATE '22012'`), as a SQLSTATE.
        condition: Option<String>,
        format: Option<String>,
        args: Vec<String>,
        /// `USING option = expr` (option lowercased).
        options: Vec<(String, String)>,
    },
    /// `RAISE;` in a handler: the error being handled.
    ReRaise,
    /// `OPEN cursor ...`.
    Open {
        cursor: String,
        source: OpenSource,
    },
    /// `FETCH [direction {FROM | IN}] cursor INTO targets`, or MOVE (`into` is `None`).
    Fetch {
        cursor: String,
        direction: FetchDirection,
        into: Option<Into>,
    },
    Close(String),
    /// `GET [CURRENT | STACKED] DIAGNOSTICS target = item, ...`.
    GetDiagnostics {
        stacked: bool,
        items: Vec<(String, String)>,
    },
    Null,
}

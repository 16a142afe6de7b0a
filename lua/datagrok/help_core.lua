--- help() entries of the module itself and of the bindings written in C (JSON, logging,
-- errors, DataFrame): loaded by lua/datagrok/help.lua on first use. The Client, its
-- sub-clients and the group objects register their own entries in their modules.
local help = require "datagrok.help"

help.register("datagrok", {
  title = "datagrok: automate a Datagrok server from Lua (require \"datagrok\")",
  object = require "datagrok",
  values = function() return require "datagrok" end,
  entries = {
    {"VERSION", "datagrok.VERSION", "the version string of the binary"},
    {"new", "datagrok.new(api_key, base_url [, opts]) -> Client",
      "a client, Python argument order; api_key is sent verbatim as Authorization"},
    {"connect", "datagrok.connect([opts]) -> Client",
      "a client from opts.url/opts.api_key or DATAGROK_URL and DATAGROK_API_KEY (CONFIG when missing)"},
    {"DataFrame", "datagrok.DataFrame", "the DataFrame constructors: help(datagrok.DataFrame)"},
    {"read_csv", "datagrok.read_csv(path) -> DataFrame", "reads a CSV file as pandas.read_csv would"},
    {"json", "datagrok.json", "the JSON codec: help(datagrok.json)"},
    {"null", "datagrok.null", "the JSON null sentinel, also a missing value in DataFrame arrays"},
    {"log", "datagrok.log", "logging to standard error or a file: help(datagrok.log)"},
    {"Error", "datagrok.Error", "the error type of every operational failure: help(datagrok.Error)"},
    {"safe", "datagrok.safe(fn, ...) -> results | nil, err", "calls fn(...); returns nil and the error instead of raising"},
    {"help", "datagrok.help([x]) -> Help", "the signature and summary of x, or the entries of an object; prints as that text (help(x) in the REPL)"},
    {"main", "datagrok.main(fn, ...)", "runs a script's body and exits with the documented code (one line for expected failures)"},
    {"cli", "datagrok.cli{name=, options=, positional=, common=} -> Cli", "a declared command line: parsing, types, --help, exit 2 on usage"},
    {"plan", "datagrok.plan{title=, dry_run=} -> Plan", "collects changes, prints them, applies them and reports"},
    {"yaml", "datagrok.yaml", "the YAML reader: yaml.decode(text [, name])"},
    {"config_file", "datagrok.config_file", "reads a script's own Lua, JSON or YAML table files"},
  },
})

help.register("datagrok.json", {
  title = "datagrok.json: JSON that keeps integers, floats and empty arrays apart",
  object = require "datagrok.json",
  values = function() return require "datagrok.json" end,
  entries = {
    {"decode", "json.decode(text) -> value", "integral numbers become integers, null becomes datagrok.null; JSON error naming line and column"},
    {"encode", "json.encode(value [, opts]) -> string", "opts: ascii, spaced, pretty; object keys in byte order, so the text is the same in every run"},
    {"array", "json.array([t]) -> t", "marks t (or a new table) to encode as an array, even when empty"},
    {"is_array", "json.is_array(v) -> boolean", "whether v carries the array mark"},
    {"null", "json.null", "the null sentinel (the same as datagrok.null)"},
  },
})

help.register("datagrok.log", {
  title = "datagrok.log: one line per message, to standard error or a file",
  object = require "datagrok.log",
  values = function() return require "datagrok.log" end,
  entries = {
    {"set_level", "log.set_level(name)", "\"error\", \"warn\" (default), \"info\", \"debug\" or \"trace\""},
    {"level", "log.level() -> name", "the current level"},
    {"enabled", "log.enabled(name) -> boolean", "whether messages of that level are written"},
    {"set_file", "log.set_file(path | nil) -> true | nil, message", "appends to path (created 0600); nil goes back to standard error"},
    {"file", "log.file() -> path | nil", "the log file set by set_file or --log-file, nil for standard error"},
    {"error", "log.error(area, msg)", "writes one line at level error"},
    {"warn", "log.warn(area, msg)", "writes one line at level warn"},
    {"info", "log.info(area, msg)", "writes one line at level info"},
    {"debug", "log.debug(area, msg)", "writes one line at level debug"},
    {"trace", "log.trace(area, msg)", "writes one line at level trace"},
  },
})

help.register("datagrok.Error", {
  title = "datagrok.Error: err.code (stable, upper case), err.message, err.status, err.api_code, err.url ...",
  object = require "datagrok.error",
  values = function() return require "datagrok.error" end,
  entries = {
    {"new", "Error.new(code, message [, fields]) -> Error", "a new error; Error.new{code=, message=, ...} also works"},
    {"is", "Error.is(v) -> boolean", "whether v is a datagrok.Error"},
    {"exit_code", "Error.exit_code(v) -> integer", "the exit code the host would use for v: os.exit(Error.exit_code(err))"},
    {"expected", "Error.expected(v) -> boolean", "whether v is an expected failure (reported without a traceback)"},
    {"metatable", "Error.metatable", "the metatable shared by every Error"},
  },
})

local function dataframe() return require "datagrok.dataframe" end
help.register("datagrok.DataFrame", {
  title = "datagrok.DataFrame: typed columns (int, float, bool, string) held in C",
  object = dataframe(),
  values = function() return dataframe() end,
  entries = {
    {"read_csv", "DataFrame.read_csv(path) -> DataFrame", "reads a CSV file as pandas.read_csv would (IO, CSV errors)"},
    {"from_csv", "DataFrame.from_csv(text [, chunk_size]) -> DataFrame", "parses CSV text"},
    {"from_rows", "DataFrame.from_rows(rows [, names]) -> DataFrame", "from arrays (with names) or records {name = value}"},
    {"from_columns", "DataFrame.from_columns(names, columns) -> DataFrame", "from one array per column name"},
    {"is", "DataFrame.is(v) -> boolean", "whether v is a DataFrame"},
    {"methods", "DataFrame.methods", "the methods of every DataFrame (df:nrows() ...)"},
    {"nrows", "df:nrows() -> integer", "the number of rows (also #df)"},
    {"ncols", "df:ncols() -> integer", "the number of columns"},
    {"names", "df:names() -> array", "the column names, in order"},
    {"types", "df:types() -> array", "the column types (int, float, bool, string), in order"},
    {"get", "df:get(row, col) -> value | nil", "one cell; col is a name or a 1-based index; nil when missing"},
    {"column", "df:column(col) -> array", "a copy of one column, datagrok.null for missing values"},
    {"row", "df:row(i) -> record", "row i as {name = value}"},
    {"rows", "df:rows() -> iterator", "for i, rec in df:rows() do ... end"},
    {"head", "df:head([n]) -> DataFrame", "the first n rows (default 5)"},
    {"select", "df:select(cols) -> DataFrame", "these columns (names or indices), in that order"},
    {"filter", "df:filter(fn) -> DataFrame", "the rows where fn(record, i) is true"},
    {"to_csv", "df:to_csv([path]) -> text | true", "the CSV text pandas would write; with path, written atomically"},
    {"close", "df:close()", "frees the columns now"},
  },
})
help.register("datagrok.DataFrame", {values = function() return dataframe().methods end})

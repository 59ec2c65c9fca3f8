# =============================================================================
# results_writer.R -- the Python-literal writer of the two results scripts
# =============================================================================
# tests/stats/results/make_results.R and tests/analysis/results/make_results.R
# each compute their folder's reference values and write its results_<topic>.py
# modules through `py_open()`, `emit()` and `py_close()` (this file computes
# nothing). Every value in a module is preceded by a comment "# > <R call>"
# with the exact R expression that produced it, in the statsmodels
# results-file style. Doubles are written with sprintf("%.17g"), which
# round-trips an IEEE double exactly (0.1 appears as 0.10000000000000001 --
# the same double). NA/NaN -> np.nan (None in plain lists), Inf -> np.inf.
#
# Literal types: a numeric vector is an np.array unless marked `as_pylist()`
# (a plain list, NA -> None) or `as_rows()` (a matrix as a list of row lists);
# a character vector of length > 1 is a list; a named list is a dict (keys
# made tuples with `tuple_keys()`); a length-1 value is a scalar.
# =============================================================================

if (!dir.exists(file.path("tests", "stats", "results"))) {
  stop("run from the repository root (tests/stats/results must exist)")
}

.py <- new.env()

# ---- literal formatting -------------------------------------------------------
py_num1 <- function(v) {
  if (is.logical(v)) {
    if (is.na(v)) return("None")
    return(if (v) "True" else "False")
  }
  if (is.na(v)) return("np.nan")  # NA and NaN alike
  if (is.infinite(v)) return(if (v > 0) "np.inf" else "-np.inf")
  if (is.integer(v)) return(as.character(v))
  sprintf("%.17g", v)
}

py_str1 <- function(s) {
  if (length(s) != 1) return(vapply(s, py_str1, "", USE.NAMES = FALSE))
  if (is.na(s)) return("None")
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  s <- gsub("\t", "\\\\t", s)
  # keep the module plain ASCII: R's curly quotes in messages -> ASCII quotes
  s <- gsub("\u2018|\u2019", "'", s)
  s <- gsub("\u201c|\u201d", "\\\\\"", s)
  paste0("\"", s, "\"")
}

# a long string as adjacent literals of at most ~70 characters each (split at spaces)
py_long_str <- function(s, indent) {
  words <- strsplit(s, "(?<= )", perl = TRUE)[[1]]
  chunks <- character(0)
  cur <- ""
  for (w in words) {
    if (nchar(cur) + nchar(w) > 70 && nchar(cur) > 0) {
      chunks <- c(chunks, cur)
      cur <- w
    } else {
      cur <- paste0(cur, w)
    }
  }
  chunks <- c(chunks, cur)
  paste0(indent, vapply(chunks, py_str1, "", USE.NAMES = FALSE))
}

# wrap a sequence of already formatted items into lines of at most `width`
wrap_items <- function(items, indent, width = 99) {
  lines <- character(0)
  cur <- indent
  for (it in items) {
    piece <- paste0(it, ",")
    if (nchar(cur) > nchar(indent) && nchar(cur) + 1 + nchar(piece) > width) {
      lines <- c(lines, cur)
      cur <- paste0(indent, piece)
    } else if (nchar(cur) == nchar(indent)) {
      cur <- paste0(cur, piece)
    } else {
      cur <- paste0(cur, " ", piece)
    }
  }
  c(lines, cur)
}

# a Python literal (character vector of lines; the first line carries no indent)
py_literal <- function(x, indent = "", one_line_max = 80) {
  if (is.null(x)) return("None")
  if (isTRUE(attr(x, "as_rows"))) {
    # a matrix as a list of row lists (NA -> None)
    out <- "["
    for (i in seq_len(nrow(x))) {
      row <- as_pylist(x[i, ])
      lit <- py_literal(row, paste0(indent, "    "), one_line_max = 99 - nchar(indent) - 5)
      lit[length(lit)] <- paste0(lit[length(lit)], ",")
      out <- c(out, paste0(indent, "    ", lit[1]), lit[-1])
    }
    return(c(out, paste0(indent, "]")))
  }
  if (is.list(x) && !is.data.frame(x)) {
    nm <- names(x)
    if (is.null(nm)) stop("py_literal: unnamed list")
    keys <- attr(x, "tuple_keys")
    out <- "{"
    for (k in seq_along(x)) {
      key <- if (is.null(keys)) py_str1(nm[k]) else
        paste0("(", paste(py_str1(keys[[k]]), collapse = ", "), ")")
      val <- py_literal(x[[k]], paste0(indent, "    "),
                        one_line_max = 99 - nchar(key) - 3)
      val[length(val)] <- paste0(val[length(val)], ",")
      out <- c(out, paste0(indent, "    ", key, ": ", val[1]), val[-1])
    }
    return(c(out, paste0(indent, "}")))
  }
  if (is.character(x)) {
    as_list <- isTRUE(attr(x, "as_list")) || length(x) != 1
    x <- as.vector(x)
    items <- vapply(x, py_str1, "", USE.NAMES = FALSE)
    if (!as_list) {
      if (nchar(items) + nchar(indent) <= one_line_max) return(items)
      return(c("(", py_long_str(x, paste0(indent, "    ")), paste0(indent, ")")))
    }
    if (length(x) == 0) return("[]")
    one <- paste0("[", paste(items, collapse = ", "), "]")
    if (nchar(one) + nchar(indent) <= one_line_max) return(one)
    if (all(nchar(items) + nchar(indent) <= 90)) {
      return(c("[", wrap_items(items, paste0(indent, "    ")), paste0(indent, "]")))
    }
    out <- "["
    for (s in x) {
      part <- py_long_str(s, paste0(indent, "    "))
      part[length(part)] <- paste0(part[length(part)], ",")
      out <- c(out, part)
    }
    return(c(out, paste0(indent, "]")))
  }
  if (is.matrix(x)) {
    out <- "np.array("
    out <- c(out, paste0(indent, "    ["))
    for (i in seq_len(nrow(x))) {
      items <- vapply(x[i, ], py_num1, "")
      body <- wrap_items(items, paste0(indent, "         "))
      body[1] <- paste0(indent, "        [", substring(body[1], nchar(indent) + 10))
      body[length(body)] <- paste0(sub(",$", "", body[length(body)]), "],")
      out <- c(out, body)
    }
    return(c(out, paste0(indent, "    ]"), paste0(indent, ")")))
  }
  if (isTRUE(attr(x, "as_pylist"))) {
    # a plain list, NA -> None (for data with blanks)
    items <- vapply(as.vector(x), function(v) if (is.na(v)) "None" else py_num1(v), "")
    one <- paste0("[", paste(items, collapse = ", "), "]")
    if (nchar(one) + nchar(indent) <= one_line_max) return(one)
    return(c("[", wrap_items(items, paste0(indent, "    ")), paste0(indent, "]")))
  }
  if (length(x) == 1 && is.null(dim(x))) return(py_num1(unname(x)))
  items <- vapply(as.vector(x), py_num1, "")
  one <- paste0("np.array([", paste(items, collapse = ", "), "])")
  if (nchar(one) + nchar(indent) <= one_line_max) return(one)
  c("np.array(", paste0(indent, "    ["), wrap_items(items, paste0(indent, "        ")),
    paste0(indent, "    ]"), paste0(indent, ")"))
}

as_pylist <- function(v) { attr(v, "as_pylist") <- TRUE; v }
as_rows <- function(m) { attr(m, "as_rows") <- TRUE; m }
tuple_keys <- function(l, keys) { attr(l, "tuple_keys") <- keys; l }
as_list <- function(s) { attr(s, "as_list") <- TRUE; s }  # a character vector as a list

# ---- the module ---------------------------------------------------------------
py_open <- function(file, docstring, packages, script) {
  .py$file <- file
  .py$imports <- character(0)
  vers <- vapply(packages, function(p) as.character(packageVersion(p)), "")
  rout <- sub("[.]R$", ".Rout", script)
  .py$lines <- c(
    paste0("\"\"\"", docstring[1]),
    if (length(docstring) > 1) docstring[-1],
    "",
    paste0("Generated by ``", script, "`` (console output in"),
    paste0("``", rout, "``); do not edit by hand, re-run it instead:"),
    "",
    paste0("    R --vanilla -q -f ", script, " \\"),
    paste0("        > ", rout, " 2>&1"),
    "",
    "Each value is preceded by a comment ``# > <R call>`` giving the exact R expression that",
    "produced it. Doubles carry 17 significant digits (``sprintf(\"%.17g\")``), i.e. exactly",
    "the double R held; NA/NaN is written as ``np.nan`` (``None`` in plain lists).",
    "\"\"\"",
    "",
    "import numpy as np",
    "",
    "# > R.version.string",
    paste0("R_VERSION = ", py_str1(R.version.string)),
    "# > sapply(pkgs, function(p) as.character(packageVersion(p)))",
    "PACKAGE_VERSIONS = {",
    paste0("    ", py_str1(names(vers)), ": ", py_str1(vers), ","),
    "}",
    ""
  )
  invisible(NULL)
}

# comment lines for a call string, wrapped at 99 characters
call_comment <- function(call) {
  call <- gsub("\n", " ", call)
  call <- gsub("[ ]+", " ", call)
  words <- strsplit(call, " ", fixed = TRUE)[[1]]
  lines <- character(0)
  cur <- "# >"
  for (w in words) {
    if (nchar(cur) + 1 + nchar(w) > 99 && nchar(cur) > 4) {
      lines <- c(lines, cur)
      cur <- paste0("# +   ", w)
    } else {
      cur <- paste0(cur, " ", w)
    }
  }
  c(lines, cur)
}

py_comment <- function(...) {
  txt <- paste0(...)
  for (para in strsplit(txt, "\n", fixed = TRUE)[[1]]) {
    words <- strsplit(para, " ", fixed = TRUE)[[1]]
    cur <- "#"
    for (w in words) {
      if (nchar(cur) + 1 + nchar(w) > 99 && nchar(cur) > 2) {
        .py$lines <- c(.py$lines, cur)
        cur <- paste0("# ", w)
      } else {
        cur <- paste0(cur, " ", w)
      }
    }
    .py$lines <- c(.py$lines, cur)
  }
  invisible(NULL)
}

py_blank <- function() .py$lines <- c(.py$lines, "")

# emit(name, call): evaluates `call` (a string; several strings are several
# comment lines, the last one evaluated) in the caller's frame unless
# `value` is given, writes "# > call" and "name = <literal>", and echoes both
# to the console (so the .Rout shows every recorded value).
emit <- function(name, call, value, note = NULL, env = parent.frame()) {
  if (missing(value)) value <- eval(parse(text = call), envir = env)
  if (is.factor(value)) value <- as.character(value)
  if (is.character(value) && is.null(attr(value, "as_list")) && length(value) == 1 &&
      grepl("names|ids|pairs", name)) attr(value, "as_list") <- TRUE
  if (is.table(value)) value <- unclass(value)
  lit <- py_literal(value, one_line_max = 99 - nchar(name) - 3)
  if (!is.null(note)) py_comment(note)
  cc <- unlist(lapply(call, call_comment))  # one or more R calls, each its own comment
  first <- paste0(name, " = ", lit[1])
  .py$lines <- c(.py$lines, cc, first, lit[-1])
  cat(paste(cc, collapse = "\n"), "\n", paste(c(first, lit[-1]), collapse = "\n"), "\n", sep = "")
  invisible(value)
}

# run expr, returning list(value, warnings, error) -- warnings are muffled and
# collected, an error is caught (value is then NULL)
capture <- function(expr) {
  warns <- character(0)
  val <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(msg = conditionMessage(e)),
                                                class = "captured_error")),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  if (inherits(val, "captured_error")) {
    return(list(value = NULL, warnings = warns, error = val$msg))
  }
  list(value = val, warnings = warns, error = NULL)
}

# record the warnings/error of a capture() result
emit_conditions <- function(prefix, cap, call) {
  w <- if (length(cap$warnings)) unique(cap$warnings) else character(0)
  attr(w, "as_list") <- TRUE
  emit(paste0(prefix, "_warnings"), call, value = w,
       note = "warnings R gave for this call (unique, in order); [] = none")
  if (!is.null(cap$error)) {
    emit(paste0(prefix, "_error"), call, value = cap$error,
         note = "R stopped with this error, so there is no value")
  }
}

# emit_same(name, same_as, call, value, same_value): a value R computed again (`call`)
# that is identical to one already recorded (`same_value`, written in Python as the
# expression `same_as`): checked here, then written as `name = same_as`, so each value
# is stored once. A `same_as` in another results module needs `py_import()` first.
emit_same <- function(name, same_as, call, value, same_value, env = parent.frame()) {
  if (missing(value)) value <- eval(parse(text = call), envir = env)
  strip <- function(v) { v <- unclass(v); attributes(v) <- attributes(v)["dim"]; v }
  if (!identical(strip(value), strip(same_value))) {
    stop(name, " (", call, ") is not identical to ", same_as)
  }
  cc <- c(unlist(lapply(call, call_comment)),
          paste0("# (identical to ", same_as, "; stored once)"))
  line <- paste0(name, " = ", same_as)
  .py$lines <- c(.py$lines, cc, line)
  cat(paste(cc, collapse = "\n"), "\n", line, "\n", sep = "")
  invisible(value)
}

# another results module whose values this one refers to (emit_same)
py_import <- function(module) {
  .py$imports <- unique(c(.py$imports, module))
  invisible(NULL)
}

py_close <- function() {
  lines <- .py$lines
  # no blank line at the very end except the final newline
  while (length(lines) && lines[length(lines)] == "") lines <- lines[-length(lines)]
  at <- which(lines == "import numpy as np")[1]
  imports <- character(0)
  if (length(.py$imports)) {
    folder <- basename(dirname(dirname(.py$file)))
    imports <- paste0("from tests.", folder, ".results import ",
                      paste(sort(.py$imports), collapse = ", "))
  }
  body <- lines[-seq_len(at)]
  uses_np <- any(grepl("\\bnp[.]", body))
  head <- lines[seq_len(at - 1)]
  lines <- c(head, if (uses_np) "import numpy as np", if (uses_np && length(imports)) "",
             imports, body)
  writeLines(lines, .py$file, useBytes = TRUE)
  cat("wrote", .py$file, "(", length(lines), "lines )\n")
  .py$imports <- character(0)
}

# the Table 4 data: blanks are NA (not assessed, never 0); business_id B01..B16 in file order
read_table4 <- function() {
  raw <- read.csv(file.path("data", "raw", "customer_wise_2007.csv"),
                  check.names = FALSE, na.strings = "")
  stages <- raw[, as.character(1:10)]
  names(stages) <- paste0("stage_", 1:10)
  data.frame(business_id = sprintf("B%02d", seq_len(nrow(raw))),
             staff = raw[["Staff No"]], business_type = raw[["Type"]],
             stages, check.names = FALSE, stringsAsFactors = FALSE)
}

// The released LLM-KICK code reads the Hendrycks CSVs with pandas.read_csv(header=None) and puts
// cells into prompts with Python's str.format, so pandas' type inference shows in the prompts
// ("None" becomes "nan", an all-number column "2.50" becomes "2.5"). render_like_pandas
// reproduces that for protocol llm-kick-code, column by column over one file's records:
//   - NA cells (pandas 2.x default na_values: "", "#N/A", "#N/A N/A", "#NA", "-1.#IND",
//     "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN",
//     "None", "n/a", "nan", "null") are shown "nan";
//   - a column whose other cells are all True/TRUE/true/False/FALSE/false shows "True"/"False";
//   - a column of integers ([+-]?digits, within int64) without NA shows canonical integers ("007" -> "7");
//   - a column whose other cells are all numbers ([+-]?(d+[.d*]|.d+)([eE][+-]?d+)?) is float64
//     and shows Python's repr of each (shortest round trip: "7.0", "0.5", "1e-05", "1e+16");
//   - any other column shows its cells verbatim (NA cells still "nan").
// Approximations, documented: numbers are parsed correctly rounded (pandas' own parser may differ
// in the last bit), integers beyond int64 are treated as floats, and surrounding spaces make a
// cell text (pandas may accept them around numbers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "csv_reader.h"

namespace kick::mc {

// Rewrites every field in place as pandas would show it. Every record must have n_columns fields.
void render_like_pandas(std::vector<csv_record>& records, std::size_t n_columns);

// Python's repr() of a double (exposed for tests).
std::string python_float_repr(double value);

}  // namespace kick::mc

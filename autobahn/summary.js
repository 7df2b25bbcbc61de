// Summarises an Autobahn|Testsuite report for `make autobahn`: for every
// agent of REPORT (the fuzzing server's index.json), how many cases ended
// OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED and FAILED. A case counts as
// FAILED when its behavior or its close behavior failed. No WebSocket is
// opened: the summary is printed at the end of the (empty) run.
//
//   ./k6 run -q -e REPORT="$PWD/.autobahn/reports/index.json" autobahn/summary.js
const report = JSON.parse(open(__ENV.REPORT));
const outcomes = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"];

export const options = { iterations: 1, summaryTrendStats: [] };

export default function () {}

function outcome(result) {
  if (result.behavior === "FAILED" || result.behaviorClose === "FAILED") {
    return "FAILED";
  }
  return outcomes.includes(result.behavior) ? result.behavior : "FAILED";
}

export function handleSummary() {
  const rows = [["agent", "cases", ...outcomes]];
  for (const agent of Object.keys(report).sort()) {
    const counts = Object.fromEntries(outcomes.map((o) => [o, 0]));
    const cases = Object.values(report[agent]);
    cases.forEach((result) => counts[outcome(result)]++);
    rows.push([agent, String(cases.length), ...outcomes.map((o) => String(counts[o]))]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const text = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ")).join("\n");
  return { stdout: `\nAutobahn|Testsuite summary (${__ENV.REPORT}):\n\n${text}\n\n` };
}

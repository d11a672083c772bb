/* Redraws a cost chart from a saved cost run: node -r ./dist/bench/register.js bench/costChart.ts IN.json OUT.png */
import { readFileSync, writeFileSync } from "node:fs";

import { renderBars } from "./chart";
import { type CostResult } from "./cost";
import { costBars } from "./report";

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) throw new Error("usage: costChart.ts IN.json OUT.png");
renderBars(costBars(JSON.parse(readFileSync(input, "utf8")) as CostResult[]))
  .then((png) => writeFileSync(output, png))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });

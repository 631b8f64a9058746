#!/usr/bin/env bash
# Issue 13's figures from the test recording (scripts/record-test.sh: 32 paths per image, 4 images
# per prompt, seed 0, in runs/record), resumable across sessions and machines, in one command.
# Every step is skipped when its results file is there and complete (for these settings, every
# image), so a rerun after a stop goes on where it stopped. In order:
#  1. replayed rows (eval --replay runs/record: the first 20 paths of each recording; a judge's
#     verdicts on all 32 paths are cached in runs/record/SEED.JUDGE.json, asked once):
#       results/replay-none-k4.json (path 0, the replayed rows' baseline) where record-test.sh
#       has not written it, ORM zero-shot and ORM fine-tuned, then (after step 2, whose figures
#       thus come early) PARM fine-tuned, which reads the outcome verdicts ORM cached. PARM's verdicts
#       are the long part: asked as the rule reads them (clarity up to each path's first clear
#       step, potential there), 4-7 s of CPU an image (2 images, 2-core EPYC, beside the
#       recording; every step of every path took 10-15 s, about 5 CPU-hours per judge); ORM's
#       (outcomes only) about 1.5 s an image. So PARM with the zero-shot judge is opt-in:
#       ROWS_PARM_ZERO_SHOT=1 adds it, asked in a second process beside the fine-tuned judge's
#       (their cache files differ), each with OPENBLAS_NUM_THREADS of half the cores;
#  2. imagecot bench oracle --record runs/record --judges zero-shot,fine-tuned -> results/oracle.json
#     (it reads only cached outcome verdicts, and only of each prompt's sample 0, and fails
#     naming how many lack them: the ORM rows cache them for every image first);
#  3. imagecot bench frontier --record runs/record --judge fine-tuned --ns 1,2,4,8,16,32
#     -> results/frontier.json (it asks what the cache lacks; PARM fine-tuned cached it all);
#  4. live rows over a queue of their own (scripts/with-queue.sh, the workers for the precision): PRM
#     (step-best-of-n) with the zero-shot judge, PARM++ with and without reflection (fine-tuned
#     judge), then PRM with the fine-tuned judge (3-5 h a PRM row here: last, as it has no
#     target). PARM++ regenerates with models/generator-sc.safetensors, and without reflection
#     with models/generator-sc-no-reason.safetensors; where one is missing the code falls back
#     to another model (README: Verification strategies), which is not the row issue 13 asks
#     for, so this script stops before PARM++ until both ship, and says so;
#  5. imagecot results table: the replayed rows paired with results/replay-none-k4.json (path 0
#     of the same recording, which another machine partly decoded in bfloat16:
#     results/record-device.json), the live rows with results/baseline-k4.json (ROWS_LIVE_BASELINE
#     overrides) -> results/rows-13-replayed.md/.json and results/rows-13-live.md/.json. `results
#     table` pairs each run with the first baseline of as many images per prompt, so each
#     baseline gets a table of its own.
# All rows: --n 20 --images-per-prompt 4 --seed 0, images in runs/rows/NAME, logs in runs/rows/logs/.
# What survives a fresh clone: the judges' verdicts on the recording in
# checkpoints/record-verdicts.tar.gz (the recordings stay in record-test.sh's archive), and each
# live row's folder in checkpoints/rows-NAME.tar.gz, rewritten every ROWS_ARCHIVE_EVERY seconds
# (default 1200), after each step and at a TERM or INT; the replayed rows' folders are remade from
# the cached verdicts in minutes. Commit the archives at a stop. Times here (docs/compute-plan.md):
# the replayed part under an hour; PRM live 3-5 h a row (36 of 320 prompts in its first 38 minutes).
# A live folder's settings include the self-correction generators' hashes (for every strategy), so
# a PRM row half-made before models/generator-sc*.safetensors appear is refused after: finish it
# first, or delete runs/rows/prm-* and its archive.
# Usage: bash scripts/rows-13.sh            make what is missing, in order
#        bash scripts/rows-13.sh status     each step: done, or what it lacks (starts nothing)
#        bash scripts/rows-13.sh complete   exit 0 when every step is done, else 1 with the list
#        bash scripts/rows-13.sh archive    rewrite the archives from runs/ (at a stop)
#        bash scripts/rows-13.sh restore    add the archives' files to runs/
#   QUEUE_REDIS_PORT=... gives the live rows' queue another port than 6390 (scripts/with-queue.sh)
#   ROWS_REPLAYED_ONLY=1 stops after the replayed rows, the oracle and the frontier (and their
#   tables): a retrained judge's figures first, before what must follow it (its self-correction retrain)
set -euo pipefail
cd "$(dirname "$0")/.."
suite=suites/geneval-shapes.jsonl
record=runs/record
k=4
n=20
seed=0
ns=1,2,4,8,16,32
rows=runs/rows
logs=$rows/logs
verdicts_kept=checkpoints/record-verdicts.tar.gz
correctors=(models/generator-sc.safetensors models/generator-sc-no-reason.safetensors)
replay_base=results/replay-none-k4.json
live_base=${ROWS_LIVE_BASELINE:-results/baseline-k4.json}
parm_zs=${ROWS_PARM_ZERO_SHOT:-0}
replayed_only=${ROWS_REPLAYED_ONLY:-0}
every=${ROWS_ARCHIVE_EVERY:-1200}
prompts=$(grep -c . "$suite")
images=$((prompts * k))
cli=(node dist/src/cli/main.js)

# NAME|results file|strategy|judge: the replayed rows, then the live ones
REPLAYED=(
  "orm-zero-shot|results/orm-zero-shot-k4.json|best-of-n|zero-shot"
  "orm-fine-tuned|results/orm-fine-tuned-k4.json|best-of-n|fine-tuned"
  "parm-fine-tuned|results/parm-fine-tuned-k4.json|parm|fine-tuned"
  "parm-zero-shot|results/parm-zero-shot-k4.json|parm|zero-shot"
)
LIVE=(
  "prm-zero-shot|results/prm-zero-shot-k4.json|step-best-of-n|zero-shot"
  "parm-plus-plus|results/parm-plus-plus-k4.json|parm++|fine-tuned"
  "parm-plus-plus-no-reason|results/parm-plus-plus-no-reason-k4.json|parm++-no-reason|fine-tuned"
  "prm-fine-tuned|results/prm-fine-tuned-k4.json|step-best-of-n|fine-tuned"
)
oracle_out=results/oracle.json
frontier_out=results/frontier.json
table_replayed=results/rows-13-replayed
table_live=results/rows-13-live

# Reads results files (light: no model is loaded). MODE ARGS...; exit 0 done, 1 missing, 3 there but other (a line says why).
# shellcheck disable=SC2016 # JavaScript, not shell
CHECK_JS='
const fs = require("node:fs");
const [mode, ...a] = process.argv.slice(1);
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
const other = (why) => { console.log(why); process.exit(3); };
const need = (f) => { if (!fs.existsSync(f)) { console.log("missing"); process.exit(1); } const j = read(f); if (!j) other("unreadable JSON"); return j; };
if (mode === "row") {
  const [file, strategy, judge, n, k, seed, replay, images, flat] = a;
  const j = need(file); const s = j.settings ?? {};
  // a file from before the flat-background penalty existed records none: it was decoded without, 0
  const want = { strategy, judge: judge === "" ? null : judge, n: +n, images_per_prompt: +k, seed: +seed, replay: replay === "" ? null : replay, flat_penalty: +flat };
  const got = { strategy: s.strategy, judge: s.judge, n: s.n, images_per_prompt: s.images_per_prompt, seed: s.seed, replay: s.replay, flat_penalty: s.flat_penalty ?? 0 };
  if (JSON.stringify(got) !== JSON.stringify(want)) other(`settings ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  if (j.images !== +images || (j.per_image_correct ?? "").length !== +images) other(`${j.images} images, expected ${images}`);
  // a row made with other weights of the judge (retrained since), or under another PARM rule, is another run
  // (a failed import is "other", never "missing": a finished row is not remade because dist/ is stale)
  const dist = (m) => import(`${process.cwd()}/dist/src/${m}.js`);
  Promise.all([dist("judges/embedded"), import(`${process.cwd()}/scripts/row-rule.mjs`)]).then(([{ embeddedJudgeHash, embeddedJudgeId }, { ruleMismatch }]) => {
    if (s.judge_id && embeddedJudgeHash(judge) !== null && s.judge_id !== embeddedJudgeId(judge)) other(`judge ${s.judge_id}, now ${embeddedJudgeId(judge)}`);
    const why = ruleMismatch(s);
    if (why) other(why);
  }).catch((e) => other(`judge id and rule unchecked: ${e.message}`));
} else if (mode === "oracle") {
  const [file, prompts, paths, judges] = a;
  const o = need(file).oracle ?? {};
  if (o.images !== +prompts || o.paths !== +paths) other(`${o.images} images of ${o.paths} paths, expected ${prompts} of ${paths}`);
  for (const j of judges.split(",")) if (!(o.pairwise_ranking?.[j]?.pairs > 0)) other(`no pairwise ranking for the ${j} judge`);
} else if (mode === "frontier") {
  const [file, judge, images, ns] = a;
  const f = need(file).frontier ?? {};
  if (f.judge !== judge || f.images !== +images || (f.parm ?? []).map((p) => p.n).join(",") !== ns) other(`judge ${f.judge}, ${f.images} images, N ${(f.parm ?? []).map((p) => p.n)}; expected ${judge}, ${images}, ${ns}`);
  import(`${process.cwd()}/dist/src/strategies/parm-rule.js`).then(({ MAX_SURVIVORS }) => {
    if (f.max_survivors !== MAX_SURVIVORS) other(`survivor budget ${f.max_survivors}, now ${MAX_SURVIVORS}`);
  }).catch((e) => other(`survivor budget unchecked: ${e.message}`));
} else if (mode === "covers") {
  // covers TABLE_JSON INPUT...: the table (results table --json) has a row of every input
  const [out, ...inputs] = a;
  const files = new Set((need(out).rows ?? []).map((r) => r.file));
  const lack = inputs.filter((f) => !files.has(f));
  if (lack.length > 0) { console.log(`lacks ${lack.join(", ")}`); process.exit(1); }
} else if (mode === "verdicts") {
  // verdicts DIR JUDGE FIELD PROMPTS K SEED: how many images have FIELD cached for JUDGE as the replay keeps them
  // (keptVerdicts: for the recording beside them, its sampler and paths, and the judge weights of now)
  const [dir, judge, field, prompts, k, seed] = a;
  const dist = (m) => import(`${process.cwd()}/dist/src/${m}.js`);
  Promise.all([dist("eval/run-suite"), dist("eval/replay"), dist("judges/embedded")]).then(([{ sampleSeed }, { keptVerdicts, readRecordingHeader, recordingFile, verdictsFile }, { embeddedJudgeId }]) => {
    const id = embeddedJudgeId(judge);
    let have = 0;
    for (let p = 0; p < +prompts; p++) for (let s = 0; s < +k; s++) {
      const at = sampleSeed(+seed, p, s), rec = recordingFile(dir, at);
      const kept = fs.existsSync(rec) ? keptVerdicts(verdictsFile(dir, at, judge), readRecordingHeader(rec), id) : null;
      if (Array.isArray(kept?.verdicts[field])) have++;
    }
    console.log(have);
  }).catch((e) => { console.error(`verdicts uncounted: ${e.message}`); process.exit(3); });
} else if (mode === "prompts") {
  // prompts DIR: prompt folders finished (costs.json written last)
  let have = 0;
  if (fs.existsSync(a[0])) for (const d of fs.readdirSync(a[0])) if (fs.existsSync(`${a[0]}/${d}/costs.json`)) have++;
  console.log(have);
} else if (mode === "gates") {
  // gates ORACLE FRONTIER TABLE_JSON...: the issue targets beside the figures, for the log
  const o = read(a[0])?.oracle;
  if (o?.pairwise_ranking) for (const [j, min] of [["fine-tuned", 0.85], ["zero-shot", 0.7]]) {
    const r = o.pairwise_ranking[j]; if (r) console.log(`gate: ${j} judge ranks right above wrong ${r.overall.toFixed(3)} (target ${min}): ${r.overall >= min ? "met" : "NOT met"}`);
  }
  const b = read(a[1])?.frontier?.budget;
  if (b) console.log(`frontier: PARM at or above best-of-N at every NFE budget: ${b.parm_at_or_above_best_of_n} (worst margin ${b.worst_margin.toFixed(3)})`);
  const targets = { "orm-zero-shot": 0.2, "orm-fine-tuned": 0.3, "parm-fine-tuned": 0.4, "parm-plus-plus": 0.5 };
  const all = a.slice(2).flatMap((f) => read(f)?.rows ?? []);
  const bon = all.find((r) => r.file.includes("orm-fine-tuned"));
  for (const r of all) {
    const c = r.vs_baseline; if (!c) continue;
    const name = Object.keys(targets).find((t) => r.file === `results/${t}-k4.json`);
    const pct = (x) => `${(x * 100).toFixed(0)}%`;
    let line = `${r.run}: error removed ${pct(c.error_removed)} (${pct(c.error_removed_ci95[0])}..${pct(c.error_removed_ci95[1])})`;
    if (name) line += `, target ${pct(targets[name])}: ${c.error_removed >= targets[name] ? "met" : "NOT met"}`;
    if (name === "parm-fine-tuned" && bon) line += `; NFE ${(r.nfe_per_image / bon.nfe_per_image).toFixed(2)} of best-of-20 (target 0.6 or less)`;
    console.log(line);
  }
}
'
check() { node -e "$CHECK_JS" "$@"; }
# the shipped sampler's flat-background penalty (read once, into $flat, by the commands that check):
# a row decoded with another is another run's
flat=""
read_shipped_flat() {
  # shellcheck disable=SC2016 # JavaScript
  flat=$(node --input-type=module -e 'const { DEFAULT_SAMPLE } = await import(`${process.cwd()}/dist/src/generator/sampler.js`); console.log(DEFAULT_SAMPLE.flatPenalty ?? 0);')
}

field() { echo "$1" | cut -d'|' -f"$2"; }

# ---- the archives ----
archive_verdicts() {
  [ -d "$record" ] || return 0
  local files
  # the folder's own name inside, as kept-folder.sh keeps it, so that its restore adds them
  files=$(cd "$(dirname "$record")" && find "$(basename "$record")" -maxdepth 1 -name '*.json' | LC_ALL=C sort)
  [ -n "$files" ] || return 0
  mkdir -p "$(dirname "$verdicts_kept")"
  # tar's 1 is "a file changed as it was read" (a judge writing beside it): still a sound archive
  (cd "$(dirname "$record")" && tar cf - --mtime=@0 --owner=0 --group=0 --numeric-owner --warning=no-file-changed -T - <<<"$files") | gzip -n > "$verdicts_kept.tmp"
  local piped=("${PIPESTATUS[@]}")
  if [ "${piped[0]}" -le 1 ] && [ "${piped[1]}" -eq 0 ]; then mv "$verdicts_kept.tmp" "$verdicts_kept"; else rm -f "$verdicts_kept.tmp"; echo "rows-13: the verdicts' archive was not rewritten" >&2; fi
}
archive_live() { # NAME
  [ -d "$rows/$1" ] || return 0
  bash scripts/kept-folder.sh archive "$rows/$1" "checkpoints/rows-$1.tar.gz" || echo "rows-13: checkpoints/rows-$1.tar.gz not rewritten (retried at the next archive)" >&2
}
current_live=""
archive_current() { archive_live "$current_live"; }
archive_all() {
  archive_verdicts
  local r
  for r in "${LIVE[@]}"; do archive_live "$(field "$r" 1)"; done
}
restore_all() {
  bash scripts/kept-folder.sh restore "$record" "$verdicts_kept"
  local r name
  for r in "${LIVE[@]}"; do
    name=$(field "$r" 1)
    bash scripts/kept-folder.sh restore "$rows/$name" "checkpoints/rows-$name.tar.gz"
  done
}

# ---- what is done ----
# row_state NAME FILE STRATEGY JUDGE REPLAY: "done", or what is missing; exit as check's
row_state() {
  check row "$2" "$3" "$4" "$n" "$k" "$seed" "$5" "$images" "$flat"
}
step_names() {
  local r
  echo "replay-none"
  for r in "${REPLAYED[@]}"; do field "$r" 1; done
  echo oracle; echo frontier
  for r in "${LIVE[@]}"; do field "$r" 1; done
  echo table
}
# state STEP: prints one line and exits 0 when done, 1 when not (2 when skipped by a setting), 3 when its file is another run's
state() {
  local step=$1 r line rc=0
  case "$step" in
    replay-none)
      line=$(check row "$replay_base" none "" 32 "$k" "$seed" "$record" "$images" "$flat") || rc=$? ;;
    oracle)
      line=$(check oracle "$oracle_out" "$prompts" 32 zero-shot,fine-tuned) || rc=$? ;;
    frontier)
      line=$(check frontier "$frontier_out" fine-tuned "$images" "$ns") || rc=$? ;;
    table)
      local ins_r=("$replay_base") ins_l=("$live_base") rc2=0
      for r in "${REPLAYED[@]}"; do [ "$(field "$r" 1)" = parm-zero-shot ] && [ "$parm_zs" = 0 ] || ins_r+=("$(field "$r" 2)"); done
      for r in "${LIVE[@]}"; do ins_l+=("$(field "$r" 2)"); done
      line=$(check covers "$table_replayed.json" "${ins_r[@]}") || rc=$?
      if [ "$rc" -eq 0 ]; then line=$(check covers "$table_live.json" "${ins_l[@]}") || rc2=$?; rc=$rc2; fi ;;
    *)
      for r in "${REPLAYED[@]}" "${LIVE[@]}"; do
        [ "$(field "$r" 1)" = "$step" ] || continue
        if [ "$step" = parm-zero-shot ] && [ "$parm_zs" = 0 ]; then echo "skipped (ROWS_PARM_ZERO_SHOT=1 adds it)"; return 2; fi
        local replay=""
        case " ${REPLAYED[*]} " in *" $r "*) replay=$record ;; esac
        line=$(row_state "$step" "$(field "$r" 2)" "$(field "$r" 3)" "$(field "$r" 4)" "$replay") || rc=$?
        if [ "$rc" -eq 1 ] && [ -z "$replay" ]; then line="$line ($(check prompts "$rows/$step") of $prompts prompts in $rows/$step)"; fi
      done ;;
  esac
  [ "$rc" -eq 0 ] && line="done"
  echo "$line"
  return "$rc"
}

status() { # prints every step; exit 0 when all are done (or skipped)
  local s line rc all=0
  if bash scripts/record-test.sh complete 2>/dev/null; then echo "recording: complete ($record)"; else echo "recording: $(bash scripts/record-test.sh complete 2>&1 || true)"; all=1; fi
  if [ -d "$record" ]; then
    for j in zero-shot fine-tuned; do
      echo "verdicts cached, $j judge: outcome $(check verdicts "$record" "$j" outcome "$prompts" "$k" "$seed")/$images, potential $(check verdicts "$record" "$j" potential "$prompts" "$k" "$seed")/$images"
    done
  fi
  local c
  for c in "${correctors[@]}"; do [ -f "$c" ] && echo "self-correction generator: $c" || echo "self-correction generator: none at $c (PARM++ waits for it)"; done
  for s in $(step_names); do
    rc=0
    line=$(state "$s") || rc=$?
    printf '%-26s %s\n' "$s" "$line"
    [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || all=1
  done
  return "$all"
}

# ---- running ----
child=""
sleeper=""
lanes=()
in_lane=0
stopping() {
  trap - TERM INT
  local p
  for p in ${child:+"$child"} ${sleeper:+"$sleeper"} ${lanes[@]+"${lanes[@]}"}; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$in_lane" = 0 ]; then echo "rows-13: stopped; archiving what was made" >&2; archive_all; fi
  exit 143
}

# watch FN PID...: waits for the PIDs (a TERM is handled at once), calling FN every $every s ("-": none); the first failure's status
watch() {
  local fn=$1 last=$SECONDS rc=0 p alive
  shift
  while :; do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 5 &
    sleeper=$!
    wait "$sleeper" 2>/dev/null || true
    sleeper=""
    if [ "$fn" != - ] && ((SECONDS - last >= every)); then "$fn"; last=$SECONDS; fi
  done
  for p in "$@"; do
    local exited=0
    wait "$p" || exited=$?
    [ "$rc" -ne 0 ] || rc=$exited
  done
  return "$rc"
}

# run_step NAME FN CMD...: CMD in the background, its output in runs/rows/logs/NAME.log
run_step() {
  local name=$1 fn=$2 rc=0
  shift 2
  mkdir -p "$logs"
  echo "rows-13: $name: started $(date -u +%FT%TZ) (log $logs/$name.log)"
  "$@" > "$logs/$name.log" 2>&1 &
  child=$!
  watch "$fn" "$child" || rc=$?
  child=""
  if [ "$rc" -ne 0 ]; then
    echo "rows-13: $name: failed (exit $rc) at $(date -u +%FT%TZ); the log ends:" >&2
    tail -n 15 "$logs/$name.log" >&2
    return "$rc"
  fi
  echo "rows-13: $name: done $(date -u +%FT%TZ)"
}

# needed STEP: 0 when the step must run; 1 when done or skipped; exits 1 when its results file is another run's
needed() {
  local line rc=0
  line=$(state "$1") || rc=$?
  case "$rc" in
    0) echo "rows-13: $1: done, skipped"; return 1 ;;
    2) echo "rows-13: $1: $line"; return 1 ;;
    3) echo "rows-13: $1: its results file is another run's ($line): move it aside to remake it" >&2; exit 1 ;;
  esac
  return 0
}

row_entry() { # NAME: its line of REPLAYED or LIVE
  local r
  for r in "${REPLAYED[@]}" "${LIVE[@]}"; do [ "$(field "$r" 1)" = "$1" ] && { echo "$r"; return 0; }; done
  return 1
}

replayed_row() { # NAME
  needed "$1" || return 0
  local r
  r=$(row_entry "$1")
  # --restart: the folder holds only the chosen images, remade in minutes from the verdicts cached
  # in runs/record (kept by a kill); so other settings in it (a new self-correction generator) never block the row
  run_step "$1" - "${cli[@]}" eval --suite "$suite" --strategy "$(field "$r" 3)" --judge "$(field "$r" 4)" --n "$n" \
    --images-per-prompt "$k" --seed "$seed" --replay "$record" --gen-dir "$rows/$1" --restart --json --quiet --out "$(field "$r" 2)"
}

live_row() { # NAME
  needed "$1" || return 0
  local r
  r=$(row_entry "$1")
  bash scripts/kept-folder.sh restore "$rows/$1" "checkpoints/rows-$1.tar.gz"
  current_live=$1
  run_step "$1" archive_current bash scripts/with-queue.sh "rows-$1" eval --suite "$suite" --strategy "$(field "$r" 3)" --judge "$(field "$r" 4)" \
    --n "$n" --images-per-prompt "$k" --seed "$seed" --gen-dir "$rows/$1" --json --out "$(field "$r" 2)" || { archive_live "$1"; return 1; }
  archive_live "$1"
}

# a lane: the rows of one judge's verdict cache, one after the other, in a process of its own
lane() { # STEP...
  in_lane=1
  lanes=()
  trap stopping TERM INT
  local s
  for s in "$@"; do
    case "$s" in
      frontier) frontier_step ;;
      *) replayed_row "$s" ;;
    esac
  done
}

frontier_step() {
  needed frontier || return 0
  run_step frontier - "${cli[@]}" bench frontier --record "$record" --judge fine-tuned --ns "$ns" --suite "$suite" --seed "$seed" --json --quiet --out "$frontier_out"
}

table_step() {
  local r ins_r=() ins_l=()
  for r in "${REPLAYED[@]}"; do [ -f "$(field "$r" 2)" ] && ins_r+=("$(field "$r" 2)"); done
  for r in "${LIVE[@]}"; do [ -f "$(field "$r" 2)" ] && ins_l+=("$(field "$r" 2)"); done
  local t base ins
  for t in replayed live; do
    if [ "$t" = replayed ]; then base=$replay_base; ins=(${ins_r[@]+"${ins_r[@]}"}); else base=$live_base; ins=(${ins_l[@]+"${ins_l[@]}"}); fi
    local out=results/rows-13-$t
    [ "${#ins[@]}" -gt 0 ] || { echo "rows-13: table of the $t rows: none yet"; continue; }
    "${cli[@]}" results table --baseline "$base" "${ins[@]}" --out "$out.md" --json-out "$out.json"
    echo "rows-13: wrote $out.md and $out.json (${#ins[@]} rows against $base)"
  done
  check gates "$oracle_out" "$frontier_out" "$table_replayed.json" "$table_live.json" || true
  # record-test.sh's claim: path 0 of the recording is the baseline's image
  # shellcheck disable=SC2016 # JavaScript
  node -e 'const [a, b] = process.argv.slice(1).map((f) => require("./" + f)); const d = [...a.per_image_correct].filter((c, i) => c !== b.per_image_correct[i]).length;
    console.log(`${process.argv[1]} (overall ${a.overall.toFixed(3)}) and ${process.argv[2]} (${b.overall.toFixed(3)}) differ on ${d} of ${a.per_image_correct.length} images`)' "$replay_base" "$live_base" || true
}

run() {
  [ -f dist/src/cli/main.js ] || { echo "rows-13: no dist/: build first (npx tsc -p tsconfig.json, or scripts/setup.sh)" >&2; exit 1; }
  [ -f "$live_base" ] || { echo "rows-13: no $live_base: the live rows' baseline (README: Results)" >&2; exit 1; }
  bash scripts/record-test.sh restore
  bash scripts/record-test.sh complete || { echo "rows-13: the recording comes first: bash scripts/record-test.sh" >&2; exit 1; }
  restore_all
  trap stopping TERM INT

  # 1. the replayed rows' baseline, then the rows themselves: one process per judge
  if needed replay-none; then
    run_step replay-none - "${cli[@]}" eval --suite "$suite" --strategy none --n 32 --images-per-prompt "$k" --seed "$seed" --replay "$record" --json --quiet --out "$replay_base"
  fi
  # 1a. the ORM rows (outcome verdicts only: about half an hour each), then 2. the gate from their
  # cached outcomes, so that the gate's figures come before PARM's long verdicts
  local rc=0
  (lane orm-zero-shot orm-fine-tuned) &
  lanes+=($!)
  watch archive_verdicts "${lanes[@]}" || rc=$?
  lanes=()
  archive_verdicts
  [ "$rc" -eq 0 ] || { echo "rows-13: an ORM row failed (above; logs in $logs)" >&2; exit 1; }
  if needed oracle; then
    local j
    for j in zero-shot fine-tuned; do
      local have
      have=$(check verdicts "$record" "$j" outcome "$prompts" "$k" "$seed")
      [ "$have" -eq "$images" ] || { echo "rows-13: only $have of $images images have the $j judge's outcome verdicts cached: bench oracle would skip the rest" >&2; exit 1; }
    done
    run_step oracle - "${cli[@]}" bench oracle --record "$record" --judges zero-shot,fine-tuned --json --out "$oracle_out"
  fi
  check gates "$oracle_out" || true

  # 1b. PARM (reading the outcomes the ORM rows cached) and the frontier
  local ft=(parm-fine-tuned frontier)
  if [ "$parm_zs" != 0 ]; then
    local half=$(($(nproc) / 2))
    ((half > 0)) || half=1
    # shellcheck disable=SC2030,SC2031 # each lane's own thread count
    (export OPENBLAS_NUM_THREADS=$half; lane parm-zero-shot) &
    lanes+=($!)
    # shellcheck disable=SC2030,SC2031
    (export OPENBLAS_NUM_THREADS=$half; lane "${ft[@]}") &
    lanes+=($!)
  else
    (lane "${ft[@]}") &
    lanes+=($!)
  fi
  watch archive_verdicts "${lanes[@]}" || rc=$?
  lanes=()
  archive_verdicts
  [ "$rc" -eq 0 ] || { echo "rows-13: a replayed PARM row or the frontier failed (above; logs in $logs)" >&2; exit 1; }
  check gates "$oracle_out" "$frontier_out" || true
  if [ "$replayed_only" = 1 ]; then
    table_step
    echo "rows-13: the replayed part is done; stopped before the live rows (ROWS_REPLAYED_ONLY=1)"
    exit 0
  fi

  # 4. live rows: PRM zero-shot (begun first), then PARM++ with and without reflection (the rows
  # with a target come before the last PRM, which has none), then PRM fine-tuned. PARM++ needs
  # both self-correction generators, and so does every live row: each one's hash joins every
  # live folder's settings, so one trained between two rows would refuse the first row's resume
  local c
  for c in "${correctors[@]}"; do
    if [ ! -f "$c" ] && ! { state parm-plus-plus-no-reason >/dev/null && state parm-plus-plus >/dev/null; }; then
      # only the row begun before the correctors shipped: a row begun now would be refused once they do
      live_row prm-zero-shot
      table_step
      echo "rows-13: stopped before PARM++: no self-correction generator at $c. Without it PARM++ regenerates with another model (README: Verification strategies), not the row issue 13 asks for. Train both (imagecot train self-correct --data runs/paths-v2, and again with --reasons none), then run this script again." >&2
      exit 3
    fi
  done
  live_row prm-zero-shot
  live_row parm-plus-plus
  live_row parm-plus-plus-no-reason
  live_row prm-fine-tuned

  # 5. the tables
  table_step
  if status >/dev/null; then echo "rows-13: every step is done"; else status; exit 1; fi
}

case "${1:-}" in
  "" | status | complete) read_shipped_flat ;;
esac
case "${1:-}" in
  "") run ;;
  status) status || true ;;
  complete)
    out=$(status) && exit 0
    echo "$out" >&2
    exit 1 ;;
  archive) archive_all ;;
  restore) bash scripts/record-test.sh restore; restore_all ;;
  *) echo "usage: rows-13.sh [status|complete|archive|restore]" >&2; exit 2 ;;
esac

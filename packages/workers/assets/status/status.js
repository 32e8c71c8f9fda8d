// @ts-check
/**
 * The status page: renders the daemon's /status.json and keeps it up to date from /status/events
 * (server-sent events), polling /status.json when the stream is quiet for too long.
 *
 * Every value is shown as text: the page is built from DOM nodes whose text is set with text nodes,
 * never from HTML strings, so an item title or a failure reason is shown exactly as written, tags
 * included. Links are made only of http(s) URLs.
 *
 * Sections the page knows get their own layout; any other key of the document (a field a newer
 * daemon adds) is shown generically, so the page never breaks on what it does not know.
 */

/** @typedef {Record<string, unknown>} Json */

const STREAM_QUIET_MS = 15_000
const POLL_EVERY_MS = 5_000

const FETCH_STATUSES = ["pending", "fetched", "failed", "skipped", "gone"]
const TRANSCRIPTION_STATUSES = ["not_applicable", "pending", "transcribed", "failed", "skipped"]
const TRANSFORM_STATUSES = ["pending", "transformed", "failed"]
const META_KEYS = new Set(["daemon", "generatedAt", "search", "error", "startedAt"])

// ------------------------------------------------------------------------------------------ DOM

/**
 * An element with attributes and children; strings become text nodes.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attributes]
 * @param {Array<Node | string | number | null | undefined | false>} children
 * @returns {HTMLElement}
 */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? "" : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === "object" ? child : document.createTextNode(String(child)))
  }
  return element
}

const SVG = "http://www.w3.org/2000/svg"
/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {Array<Node>} children
 */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  element.append(...children)
  return element
}

/** @param {unknown} url */
function safeUrl(url) {
  if (typeof url !== "string") return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : undefined
  } catch {
    return undefined
  }
}

/**
 * A link when the URL is http(s), else plain text.
 * @param {string} text
 * @param {unknown} url
 */
function link(text, url) {
  const href = safeUrl(url)
  return href === undefined ? h("span", {}, text) : h("a", { href, rel: "noreferrer noopener", target: "_blank" }, text)
}

/** @param {unknown} value */
const isRecord = (value) => typeof value === "object" && value !== null && !Array.isArray(value)
/** @param {unknown} value @returns {Json} */
const record = (value) => (isRecord(value) ? /** @type {Json} */ (value) : {})
/** @param {unknown} value @returns {Array<unknown>} */
const list = (value) => (Array.isArray(value) ? value : [])
/** @param {unknown} value */
const num = (value) => (typeof value === "number" && Number.isFinite(value) ? value : 0)
/** @param {unknown} value */
const str = (value) =>
  value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value)

const numberFormat = new Intl.NumberFormat("en")
/** @param {unknown} value */
const count = (value) => numberFormat.format(num(value))

/** "12 s ago", "5 min ago", with the exact time as a tooltip. @param {unknown} iso */
function ago(iso) {
  if (typeof iso !== "string") return h("span", { class: "muted" }, "never")
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return h("span", {}, iso)
  const seconds = Math.round((Date.now() - at) / 1000)
  const text =
    seconds < 0
      ? "just now"
      : seconds < 60
        ? `${seconds} s ago`
        : seconds < 3600
          ? `${Math.floor(seconds / 60)} min ago`
          : seconds < 86_400
            ? `${Math.floor(seconds / 3600)} h ago`
            : new Date(at).toLocaleString()
  return h("time", { datetime: iso, title: new Date(at).toLocaleString() }, text)
}

/** @param {unknown} ms */
const duration = (ms) =>
  h(
    "span",
    { class: "nowrap" },
    typeof ms === "number" ? (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`) : "–"
  )

/** @param {Date} date */
const clock = (date) => date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })

/** A coloured label for a status word. @param {unknown} status */
const pill = (status) => h("span", { class: `pill pill-${str(status).replace(/[^a-z_-]/gi, "")}` }, str(status))

/** A number that is dim when zero and red when it counts failures. @param {unknown} value @param {boolean} [bad] */
function cell(value, bad = false) {
  const n = num(value)
  return h("td", { class: n === 0 ? "num zero" : bad ? "num bad" : "num" }, n === 0 ? "0" : count(n))
}

/**
 * A card: a titled section of the page.
 * @param {string} id
 * @param {string} title
 * @param {Array<Node | string | null | undefined | false>} body
 * @param {Node | string} [aside]
 */
function card(id, title, body, aside) {
  return h("section", { class: "card", id }, h("div", { class: "card-head" }, h("h2", {}, title), aside), ...body)
}

/**
 * A table from rows of cells.
 * @param {Array<string>} head
 * @param {Array<Array<Node | string>>} rows
 * @param {string} [empty]
 */
function table(head, rows, empty = "none") {
  if (rows.length === 0) return h("p", { class: "muted" }, empty)
  // A column of numbers gets a header aligned like its numbers.
  const numeric = head.map((_, i) =>
    rows.every((row) => row[i] instanceof HTMLTableCellElement && row[i].classList.contains("num"))
  )
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...head.map((label, i) => h("th", { class: numeric[i] ? "num" : undefined }, label)))),
      h(
        "tbody",
        {},
        ...rows.map((row) => h("tr", {}, ...row.map((c) => (c instanceof HTMLTableCellElement ? c : h("td", {}, c)))))
      )
    )
  )
}

/** <details> whose open state survives the next render. */
const openDetails = new Set()
/**
 * @param {string} key
 * @param {string} summary
 * @param {Array<Node>} body
 */
function details(key, summary, body) {
  const element = h("details", { "data-key": key, open: openDetails.has(key) }, h("summary", {}, summary), ...body)
  element.addEventListener("toggle", () => {
    if (/** @type {HTMLDetailsElement} */ (element).open) openDetails.add(key)
    else openDetails.delete(key)
  })
  return element
}

/** JSON shown as text, cut when long (the whole in a tooltip). @param {unknown} value */
function code(value, max = 240) {
  const text = str(value)
  return h(
    "code",
    { class: "json", title: text.length > max ? text : undefined },
    text.length > max ? `${text.slice(0, max)}…` : text
  )
}

// ------------------------------------------------------------------------------ generic rendering

/**
 * Anything the page has no layout for: scalars as text, records as key/value lists, arrays of
 * records as tables.
 * @param {unknown} value
 * @param {number} [depth]
 * @returns {Node}
 */
function generic(value, depth = 0) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "–")
  if (typeof value !== "object") return h("span", {}, str(value))
  if (depth > 3) return code(value)
  if (Array.isArray(value)) {
    if (value.length === 0) return h("span", { class: "muted" }, "none")
    if (value.every(isRecord)) {
      const keys = [...new Set(value.flatMap((row) => Object.keys(record(row))))]
      return table(
        keys,
        value.map((row) => keys.map((key) => generic(record(row)[key], depth + 1)))
      )
    }
    return h("ul", { class: "plain" }, ...value.map((item) => h("li", {}, generic(item, depth + 1))))
  }
  const entries = Object.entries(record(value))
  if (entries.length === 0) return h("span", { class: "muted" }, "none")
  return h(
    "dl",
    { class: "kv" },
    ...entries.flatMap(([key, item]) => [h("dt", {}, key), h("dd", {}, generic(item, depth + 1))])
  )
}

// ------------------------------------------------------------------------- transform daemon sections

/**
 * Items per source, by the status of each layer: bronze (is the content fetched?), transcription,
 * silver (is it transformed?).
 * @param {Json} report
 */
function itemsPerSource(report) {
  /** @type {Map<string, Record<string, Record<string, number>>>} */
  const bySource = new Map()
  const extra = { fetch: new Set(), transcription: new Set(), transform: new Set() }
  for (const row of list(report.counts).map(record)) {
    const source = str(row.sourceType)
    const entry = bySource.get(source) ?? { total: { items: 0 }, fetch: {}, transcription: {}, transform: {} }
    const n = num(row.count)
    entry.total.items += n
    for (const [dimension, field, known] of /** @type {const} */ ([
      ["fetch", "fetchStatus", FETCH_STATUSES],
      ["transcription", "transcriptionStatus", TRANSCRIPTION_STATUSES],
      ["transform", "transformStatus", TRANSFORM_STATUSES]
    ])) {
      const status = str(row[field])
      entry[dimension][status] = (entry[dimension][status] ?? 0) + n
      if (!known.includes(status)) extra[dimension].add(status)
    }
    bySource.set(source, entry)
  }
  const groups = /** @type {const} */ ([
    ["fetch", "bronze: fetched?", [...FETCH_STATUSES, ...extra.fetch]],
    ["transcription", "transcription", [...TRANSCRIPTION_STATUSES, ...extra.transcription]],
    ["transform", "silver: transformed?", [...TRANSFORM_STATUSES, ...extra.transform]]
  ])
  const sources = [...bySource.keys()].sort()
  /** @type {Record<string, Record<string, number>>} */
  const total = { total: { items: 0 }, fetch: {}, transcription: {}, transform: {} }
  for (const source of sources) {
    const entry = bySource.get(source)
    if (entry === undefined) continue
    total.total.items += entry.total.items
    for (const [dimension] of groups)
      for (const [status, n] of Object.entries(entry[dimension]))
        total[dimension][status] = (total[dimension][status] ?? 0) + n
  }
  /** @param {string} label @param {Record<string, Record<string, number>>} entry @param {string} [cls] */
  const row = (label, entry, cls) =>
    h(
      "tr",
      { class: cls },
      h("th", { scope: "row" }, label),
      cell(entry.total.items),
      ...groups.flatMap(([dimension, , statuses]) =>
        statuses.map((status, i) => {
          const td = cell(entry[dimension][status], status === "failed")
          if (i === 0) td.classList.add("group-start")
          return td
        })
      )
    )
  const body =
    sources.length === 0
      ? [h("p", { class: "muted" }, "Silver holds no items yet.")]
      : [
          h(
            "div",
            { class: "scroll" },
            h(
              "table",
              { class: "counts" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { rowspan: 2 }, "source"),
                  h("th", { rowspan: 2, class: "num" }, "items"),
                  ...groups.map(([, label, statuses]) =>
                    h("th", { colspan: statuses.length, class: "group-start group" }, label)
                  )
                ),
                h(
                  "tr",
                  {},
                  ...groups.flatMap(([, , statuses]) =>
                    statuses.map((status, i) =>
                      h(
                        "th",
                        { class: i === 0 ? "num group-start" : "num" },
                        status === "not_applicable" ? "no media" : status
                      )
                    )
                  )
                )
              ),
              h("tbody", {}, ...sources.map((source) => row(source, bySource.get(source) ?? total))),
              sources.length > 1 ? h("tfoot", {}, row("all", total, "total")) : null
            )
          )
        ]
  const lag = report.lag === null || report.lag === undefined ? null : record(report.lag)
  const lagText =
    lag === null
      ? "unknown"
      : `${lag.atLeast ? "at least " : ""}${count(lag.artifacts)} bronze artifact(s) not yet handed to silver`
  return card(
    "items-per-source",
    "Items per source and status",
    [...body, h("p", { class: "lag" }, h("strong", {}, "Lag: "), h("span", { id: "lag" }, lagText))],
    h("span", { class: "big" }, count(record(report.items).total), h("span", { class: "muted" }, " items"))
  )
}

/** @param {Json} sensor */
function sensorCard(sensor) {
  const name = str(sensor.name)
  const runs = record(sensor.runs)
  const ticks = list(sensor.recentTicks).map(record)
  const failed = list(sensor.failedRuns).map(record)
  const known = new Set([
    "name",
    "paused",
    "cursor",
    "updatedAt",
    "owner",
    "leaseExpiresAt",
    "runs",
    "recentTicks",
    "failedRuns"
  ])
  const others = Object.entries(sensor).filter(([key]) => !known.has(key))
  return h(
    "article",
    { class: "sensor", "data-sensor": name },
    h(
      "div",
      { class: "sensor-head" },
      h("h3", {}, name),
      sensor.paused ? pill("paused") : null,
      h("span", { class: "muted" }, sensor.owner ? `owned by ${str(sensor.owner)}` : "no owner")
    ),
    h(
      "dl",
      { class: "kv" },
      h("dt", {}, "cursor"),
      h("dd", { class: "cursor" }, code(sensor.cursor)),
      h("dt", {}, "cursor moved"),
      h("dd", {}, ago(sensor.updatedAt)),
      h("dt", {}, "runs"),
      h(
        "dd",
        {},
        Object.keys(runs).length === 0
          ? h("span", { class: "muted" }, "none recorded")
          : h(
              "span",
              { class: "runs" },
              ...Object.entries(runs).map(([status, n]) => h("span", {}, pill(status), " ", count(n)))
            )
      )
    ),
    h("h4", {}, "Last ticks"),
    table(
      ["started", "status", "runs", "took", "reason"],
      ticks.map((tick) => [
        ago(tick.startedAt),
        pill(tick.status),
        count(tick.runCount),
        duration(tick.durationMs),
        h("span", { class: "reason" }, str(tick.reason))
      ]),
      "no tick yet"
    ),
    failed.length === 0
      ? null
      : h(
          "div",
          {},
          h("h4", { class: "bad" }, `Failed runs (${failed.length})`),
          table(
            ["run", "items", "error"],
            failed.map((run) => [
              h("code", {}, str(run.runKey)),
              count(run.items),
              h("span", { class: "reason" }, str(run.error))
            ])
          )
        ),
    others.length === 0 ? null : generic(Object.fromEntries(others))
  )
}

/** @param {Json} report */
function sensors(report) {
  const all = list(report.sensors).map(record)
  return card(
    "sensors",
    "Sensors",
    all.length === 0
      ? [h("p", { class: "muted" }, "No sensor has ticked yet.")]
      : [h("div", { class: "sensor-grid" }, ...all.map(sensorCard))]
  )
}

/** @param {Json} report */
function warnings(report) {
  const all = list(report.warnings)
  if (all.length === 0) return null
  return h(
    "section",
    { class: "warnings", id: "warnings" },
    h("h2", {}, "Warnings"),
    h("ul", {}, ...all.map((w) => h("li", {}, str(w))))
  )
}

/**
 * One bar chart per sensor: items per bucket (their failed part in red), and a strip of the
 * bucket's ticks beneath (failed red, skipped grey, otherwise green).
 * @param {unknown} value
 */
function throughput(value) {
  const data = record(value)
  const series = list(data.sensors).map(record)
  const bucketSeconds = num(data.bucketSeconds) || 60
  const width = 1200
  const height = 150
  const chartTop = 18
  const chartHeight = 100
  const stripY = chartTop + chartHeight + 6
  const charts = series.map((sensor) => {
    const buckets = list(sensor.buckets).map(record)
    const max = Math.max(1, ...buckets.map((b) => num(b.items)))
    const slot = width / Math.max(1, buckets.length)
    const bar = Math.max(1, slot - 2)
    const items = buckets.reduce((n, b) => n + num(b.items), 0)
    const failures = buckets.reduce((n, b) => n + num(b.itemFailures), 0)
    const ticks = buckets.reduce((n, b) => n + num(b.ticks), 0)
    const failedTicks = buckets.reduce((n, b) => n + num(b.failedTicks), 0)
    const failedRuns = buckets.reduce((n, b) => n + num(b.failedRuns), 0)
    const nodes = [
      s("line", {
        x1: 0,
        y1: chartTop + chartHeight + 0.5,
        x2: width,
        y2: chartTop + chartHeight + 0.5,
        class: "axis"
      }),
      s("line", { x1: 0, y1: chartTop + 0.5, x2: width, y2: chartTop + 0.5, class: "grid" }),
      s(
        "text",
        { x: 2, y: chartTop - 4, class: "label" },
        document.createTextNode(
          `${count(max)} per ${bucketSeconds >= 60 ? `${bucketSeconds / 60} min` : `${bucketSeconds} s`}`
        )
      )
    ]
    buckets.forEach((bucket, i) => {
      const x = i * slot + 1
      const n = num(bucket.items)
      const bad = Math.min(n, num(bucket.itemFailures))
      const at = new Date(str(bucket.at))
      const tip = `${clock(at)}: ${count(n)} item(s)${bad ? `, ${count(bad)} failed` : ""}, ${count(bucket.runs)} run(s)${num(bucket.failedRuns) ? `, ${count(bucket.failedRuns)} failed` : ""}, ${count(bucket.ticks)} tick(s)`
      const group = s("g", { class: "bucket" }, s("title", {}, document.createTextNode(tip)))
      // A transparent column makes the whole slot hoverable.
      group.append(s("rect", { x: i * slot, y: chartTop, width: slot, height: chartHeight + 12, class: "hit" }))
      if (n > 0) {
        const full = (n / max) * chartHeight
        group.append(s("rect", { x, y: chartTop + chartHeight - full, width: bar, height: full, class: "bar" }))
        if (bad > 0) {
          const part = (bad / max) * chartHeight
          group.append(
            s("rect", { x, y: chartTop + chartHeight - full, width: bar, height: Math.max(1, part), class: "bar-bad" })
          )
        }
      }
      if (num(bucket.ticks) > 0 || num(bucket.failedRuns) > 0) {
        const state =
          num(bucket.failedTicks) > 0 || num(bucket.failedRuns) > 0
            ? "tick-failed"
            : num(bucket.skippedTicks) === num(bucket.ticks)
              ? "tick-skipped"
              : "tick-ok"
        group.append(s("rect", { x, y: stripY, width: bar, height: 6, class: state }))
      }
      nodes.push(group)
    })
    const first = buckets[0]
    if (first !== undefined)
      nodes.push(
        s("text", { x: 2, y: height - 2, class: "label" }, document.createTextNode(clock(new Date(str(first.at)))))
      )
    nodes.push(s("text", { x: width - 2, y: height - 2, class: "label end" }, document.createTextNode("now")))
    const svg = s(
      "svg",
      {
        viewBox: `0 0 ${width} ${height}`,
        class: "chart",
        role: "img",
        "aria-label": `${str(sensor.sensor)} throughput`
      },
      ...nodes
    )
    return h(
      "figure",
      { class: "throughput", "data-sensor": str(sensor.sensor) },
      h(
        "figcaption",
        {},
        h("strong", {}, str(sensor.sensor)),
        h("span", { class: "muted" }, ` ${count(items)} item(s)`),
        failures > 0 ? h("span", { class: "bad" }, `, ${count(failures)} failed`) : null,
        h("span", { class: "muted" }, `, ${count(ticks)} tick(s)`),
        failedTicks + failedRuns > 0
          ? h("span", { class: "bad" }, `, ${count(failedTicks)} failed tick(s), ${count(failedRuns)} failed run(s)`)
          : null
      ),
      svg
    )
  })
  const window = data.from && data.to ? Math.round((Date.parse(str(data.to)) - Date.parse(str(data.from))) / 60_000) : 0
  return card(
    "throughput",
    "Throughput",
    charts.length === 0
      ? [h("p", { class: "muted" }, "No sensor history yet.")]
      : [
          ...charts,
          h(
            "p",
            { class: "legend muted" },
            h("span", { class: "swatch bar" }),
            " items per bucket ",
            h("span", { class: "swatch bar-bad" }),
            " failed items ",
            h("span", { class: "swatch tick-ok" }),
            " ticks ",
            h("span", { class: "swatch tick-skipped" }),
            " only skipped ",
            h("span", { class: "swatch tick-failed" }),
            " a failed tick or run"
          )
        ],
    h("span", { class: "muted" }, window >= 60 ? `last ${window / 60} h` : `last ${window} min`)
  )
}

/**
 * @param {unknown} value
 * @param {Json} report the status report, for the totals per step
 */
function failedItems(value, report) {
  const rows = list(value).map(record)
  const totals = {
    fetch: num(record(report.fetchStatus).failed),
    transcription: num(record(report.transcriptionStatus).failed),
    transform: num(record(report.transformStatus).failed)
  }
  const all = totals.fetch + totals.transcription + totals.transform
  const shown = rows.length
  return card(
    "failed-items",
    "Failed items",
    [
      table(
        ["step", "item", "title", "reason", "updated"],
        rows.map((row) => [
          pill(row.stage),
          h("code", {}, `${str(row.sourceType)}/${str(row.externalId)}`),
          h("td", { class: "title" }, link(str(row.title) || "(no title)", row.url)),
          h("td", { class: "reason" }, str(row.reason) || "no reason recorded"),
          ago(row.updatedAt)
        ]),
        "No failed item."
      ),
      rows.length === 0
        ? null
        : h(
            "p",
            { class: "muted" },
            shown < all ? `Showing ${count(shown)} of ${count(all)}, the oldest of each step. ` : "",
            h("code", {}, "medallion retry --items"),
            " transforms the items whose transform failed again."
          )
    ],
    all > 0
      ? h(
          "span",
          { class: "bad" },
          `${count(totals.fetch)} fetch, ${count(totals.transcription)} transcription, ${count(totals.transform)} transform`
        )
      : undefined
  )
}

/** @param {unknown} value */
function queue(value) {
  if (value === null)
    return card("queue", "Run queue", [
      h("p", { class: "muted" }, "Not set up yet: no transform daemon has started on the queue.")
    ])
  const data = record(value)
  const stats = record(data.stats)
  return card("queue", "Run queue", [
    h(
      "p",
      { class: "stats" },
      ...["queued", "running", "dead", "workers"].map((key) =>
        h(
          "span",
          { class: key === "dead" && num(stats[key]) > 0 ? "stat bad" : "stat" },
          h("strong", {}, count(stats[key])),
          ` ${key === "workers" ? "worker pools" : key}`
        )
      )
    ),
    h("h4", {}, "Dead runs"),
    generic(data.dead)
  ])
}

// ----------------------------------------------------------------------------- fetch daemon sections

/** @param {unknown} value */
function fetchSources(value) {
  const sources = list(value).map(record)
  const rows = sources.map((source) => {
    const last = record(list(source.lastRuns)[0])
    const has = Object.keys(last).length > 0
    return [
      h(
        "td",
        {},
        h("strong", {}, str(source.name)),
        source.sourceType && source.sourceType !== source.name
          ? h("span", { class: "muted" }, ` (${str(source.sourceType)})`)
          : null
      ),
      `every ${str(source.every)}`,
      count(source.runs),
      has ? ago(last.startedAt) : h("span", { class: "muted" }, "not yet"),
      has ? duration(last.durationMs) : "–",
      has ? cell(last.discovered) : cell(0),
      has ? cell(last.fetched) : cell(0),
      has ? cell(last.skipped) : cell(0),
      has ? cell(last.failed, true) : cell(0),
      h("td", { class: "reason bad" }, has ? str(last.discoveryError) : "")
    ]
  })
  const failures = sources.flatMap((source) => {
    const last = record(list(source.lastRuns)[0])
    const items = list(last.failures).map(record)
    const runs = list(source.lastRuns).map(record)
    return [
      items.length === 0
        ? null
        : details(
            `failures-${str(source.name)}`,
            `${str(source.name)}: ${items.length} failed item(s) in the last run`,
            [
              table(
                ["item", "reason"],
                items.map((f) => [h("code", {}, str(f.externalId)), h("span", { class: "reason" }, str(f.reason))])
              )
            ]
          ),
      runs.length < 2
        ? null
        : details(`runs-${str(source.name)}`, `${str(source.name)}: the last ${runs.length} runs`, [
            table(
              ["started", "took", "discovered", "fetched", "skipped", "failed", "discovery error"],
              runs.map((run) => [
                ago(run.startedAt),
                duration(run.durationMs),
                cell(run.discovered),
                cell(run.fetched),
                cell(run.skipped),
                cell(run.failed, true),
                h("span", { class: "reason bad" }, str(run.discoveryError))
              ])
            )
          ])
    ].filter((x) => x !== null)
  })
  return card("sources", "Sources", [
    table(
      [
        "source",
        "schedule",
        "runs",
        "last run",
        "took",
        "discovered",
        "fetched",
        "unchanged",
        "failed",
        "discovery error"
      ],
      rows,
      "No source configured."
    ),
    ...failures
  ])
}

/** @param {unknown} value */
function media(value) {
  const data = record(value)
  const counts = record(data.counts)
  const tasks = Object.keys(counts)
  const outcomes = [...new Set(tasks.flatMap((task) => Object.keys(record(counts[task]))))].sort()
  const problems = list(data.recentProblems).map(record)
  const skips = list(data.recentSkips).map(record)
  /** @param {Array<Json>} attempts */
  const attemptsTable = (attempts) =>
    table(
      ["when", "task", "item", "outcome", "reason"],
      attempts.map((a) => [
        ago(a.at),
        str(a.task),
        h("code", {}, `${str(a.sourceType)}/${str(a.externalId)}`),
        pill(a.outcome),
        h("span", { class: "reason" }, str(a.reason))
      ])
    )
  return card("media", "Transcription and enrichment", [
    tasks.length === 0
      ? h("p", { class: "muted" }, "No attempt yet (or both are off).")
      : table(
          ["task", ...outcomes],
          tasks.map((task) => [
            h("strong", {}, task),
            ...outcomes.map((o) => cell(record(counts[task])[o], o === "failed" || o === "error"))
          ])
        ),
    problems.length === 0 ? null : h("h4", { class: "bad" }, "Recent failures"),
    problems.length === 0 ? null : attemptsTable(problems),
    skips.length === 0 ? null : details("media-skips", `Recently skipped (${skips.length})`, [attemptsTable(skips)])
  ])
}

/** @param {unknown} value */
function upkeep(value) {
  const data = record(value)
  const last = data.last === null || data.last === undefined ? null : record(data.last)
  return card("upkeep", "Bronze upkeep", [
    h(
      "dl",
      { class: "kv" },
      h("dt", {}, "schedule"),
      h("dd", {}, data.every ? `every ${str(data.every)}` : "none (this bronze store needs none)"),
      h("dt", {}, "last run"),
      h("dd", {}, last === null ? h("span", { class: "muted" }, "not yet") : ago(last.at)),
      ...(last === null
        ? []
        : last.ok
          ? [
              h("dt", {}, "result"),
              h(
                "dd",
                {},
                `${count(last.scannedArtifacts)} artifact(s) checked; ${count(last.restoredIndexLines)} index line(s) restored, ${count(last.removedTempFiles)} temporary file(s) removed${last.repairedTornLine ? ", a torn index line terminated" : ""}`
              )
            ]
          : [h("dt", {}, "result"), h("dd", { class: "bad" }, `failed: ${str(last.error)}`)])
    )
  ])
}

// -------------------------------------------------------------------------------------- search

/** A snippet whose matches are marked `[like this]`. @param {string} snippet */
function marked(snippet) {
  const out = h("span", { class: "snippet" })
  const parts = snippet.split(/(\[[^\]]*\])/)
  for (const part of parts) {
    if (part.startsWith("[") && part.endsWith("]") && part.length > 2) out.append(h("mark", {}, part.slice(1, -1)))
    else if (part !== "") out.append(document.createTextNode(part))
  }
  return out
}

/** @param {HTMLFormElement} form @param {HTMLElement} results */
function wireSearch(form, results) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    const input = /** @type {HTMLInputElement} */ (form.elements.namedItem("q"))
    const query = input.value.trim()
    if (query === "") return
    results.hidden = false
    results.replaceChildren(h("p", { class: "muted" }, "Searching…"))
    try {
      const response = await fetch(`/status/search?${new URLSearchParams({ q: query, limit: "20" })}`)
      const body = record(await response.json())
      if (!response.ok) {
        results.replaceChildren(h("p", { class: "bad" }, `Search failed: ${str(body.error)}`))
        return
      }
      const hits = list(body.hits).map(record)
      results.replaceChildren(
        h(
          "div",
          { class: "card-head" },
          h("h2", {}, `Search: ${query}`),
          h("span", { class: "muted" }, `${hits.length} match(es)`)
        ),
        hits.length === 0
          ? h("p", { class: "muted" }, "Nothing in silver matches.")
          : h(
              "ol",
              { class: "hits" },
              ...hits.map((hit) =>
                h(
                  "li",
                  { class: "hit" },
                  h(
                    "div",
                    { class: "hit-title" },
                    link(str(hit.title) || str(hit.externalId), hit.url),
                    " ",
                    h("code", { class: "muted" }, `${str(hit.sourceType)}/${str(hit.externalId)}`)
                  ),
                  typeof hit.snippet === "string" && hit.snippet !== "" ? marked(hit.snippet) : null
                )
              )
            )
      )
    } catch (error) {
      results.replaceChildren(h("p", { class: "bad" }, `Search failed: ${String(error)}`))
    }
  })
}

// ------------------------------------------------------------------------------------- the page

/** @type {Json | null} */
let lastDocument = null
let lastUpdate = 0

/** @param {Json} document */
function sectionsOf(document) {
  /** @type {Array<Node | null>} */
  const out = []
  const status = isRecord(document.status) ? record(document.status) : null
  const handled = new Set(META_KEYS)
  if (status !== null) {
    handled.add("status")
    out.push(warnings(status), itemsPerSource(status))
  }
  if ("throughput" in document) {
    handled.add("throughput")
    out.push(throughput(document.throughput))
  }
  if (status !== null) out.push(sensors(status))
  if ("failedItems" in document) {
    handled.add("failedItems")
    out.push(failedItems(document.failedItems, status ?? {}))
  }
  if ("queue" in document) {
    handled.add("queue")
    out.push(queue(document.queue))
  }
  if ("sources" in document) {
    handled.add("sources")
    out.push(fetchSources(document.sources))
  }
  if ("media" in document) {
    handled.add("media")
    out.push(media(document.media))
  }
  if ("upkeep" in document) {
    handled.add("upkeep")
    out.push(upkeep(document.upkeep))
  }
  // What the report holds beyond the fields laid out above.
  if (status !== null) {
    const known = new Set([
      "items",
      "fetchStatus",
      "transcriptionStatus",
      "transformStatus",
      "counts",
      "lag",
      "sensors",
      "warnings"
    ])
    const more = Object.entries(status).filter(([key]) => !known.has(key))
    if (more.length > 0) out.push(card("report-more", "More from the report", [generic(Object.fromEntries(more))]))
  }
  for (const [key, value] of Object.entries(document)) {
    if (handled.has(key)) continue
    out.push(card(`section-${key.replace(/[^A-Za-z0-9_-]/g, "")}`, key, [generic(value)]))
  }
  return out.filter((node) => node !== null)
}

/** @param {Json} document */
function render(document) {
  const daemon = str(document.daemon) || "?"
  const title = /** @type {HTMLElement} */ (window.document.getElementById("daemon"))
  title.textContent = `${daemon} daemon`
  window.document.title = `Medallion ${daemon} daemon`
  const started = /** @type {HTMLElement} */ (window.document.getElementById("started"))
  started.replaceChildren(...(typeof document.startedAt === "string" ? ["started ", ago(document.startedAt)] : []))
  showGenerated(document.generatedAt)
  const form = /** @type {HTMLFormElement} */ (window.document.getElementById("search"))
  form.hidden = document.search !== true
  const problem = /** @type {HTMLElement} */ (window.document.getElementById("problem"))
  if (typeof document.error === "string") {
    problem.hidden = false
    problem.textContent = `The daemon could not build its report: ${document.error}${lastDocument ? ". Showing the last report it built." : ""}`
    if (lastDocument === null) return
    document = lastDocument
  } else {
    problem.hidden = true
    lastDocument = document
  }
  const main = /** @type {HTMLElement} */ (window.document.getElementById("sections"))
  main.replaceChildren(...sectionsOf(document))
}

/** @param {"live" | "polling" | "connecting" | "offline"} state */
function setState(state) {
  const live = /** @type {HTMLElement} */ (document.getElementById("live"))
  live.dataset.state = state
  live.textContent = state
}

/** @param {unknown} body */
function accept(body) {
  lastUpdate = Date.now()
  render(record(body))
}

async function poll() {
  try {
    const response = await fetch("/status.json", { cache: "no-store" })
    accept(await response.json())
    return true
  } catch {
    setState("offline")
    return false
  }
}

/** Brings the relative times ("12 s ago") up to date without rebuilding the page. */
function refreshTimes() {
  for (const element of document.querySelectorAll("time[datetime]")) {
    const fresh = ago(element.getAttribute("datetime"))
    element.textContent = fresh.textContent
  }
}

/** @param {unknown} generatedAt */
function showGenerated(generatedAt) {
  const generated = /** @type {HTMLElement} */ (document.getElementById("generated"))
  generated.replaceChildren("updated ", ago(generatedAt))
}

function start() {
  const results = /** @type {HTMLElement} */ (document.getElementById("results"))
  wireSearch(/** @type {HTMLFormElement} */ (document.getElementById("search")), results)
  let streaming = false
  if ("EventSource" in window) {
    const events = new EventSource("/status/events")
    events.addEventListener("status", (event) => {
      streaming = true
      setState("live")
      accept(JSON.parse(/** @type {MessageEvent} */ (event).data))
    })
    // Nothing changed: only the time it was checked at is new.
    events.addEventListener("checked", (event) => {
      streaming = true
      setState("live")
      lastUpdate = Date.now()
      showGenerated(record(JSON.parse(/** @type {MessageEvent} */ (event).data)).generatedAt)
    })
    // EventSource reconnects by itself (the server asks for 3 s); meanwhile the page polls.
    events.addEventListener("error", () => {
      streaming = false
      setState("connecting")
    })
  }
  setInterval(async () => {
    if (!streaming && Date.now() - lastUpdate > POLL_EVERY_MS) {
      if (await poll()) setState("polling")
    } else if (Date.now() - lastUpdate > STREAM_QUIET_MS) {
      // Open but silent for longer than several refreshes: ask directly.
      await poll()
    }
    refreshTimes()
  }, POLL_EVERY_MS / 5)
  if (!("EventSource" in window)) void poll()
}

start()

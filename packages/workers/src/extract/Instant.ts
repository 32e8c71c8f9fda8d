/**
 * A point in time as feeds and pages write it -> UTC. Two grammars, each with the slack real documents
 * need:
 *
 * - RFC 822 / RFC 2822 (RSS `pubDate`): `[Day,] D Mon [YY]YY [HH:MM[:SS]] [zone]`, also ctime's
 *   `Day Mon D HH:MM:SS [zone] YYYY`. Zones: `GMT`/`UT`/`UTC`/`Z`, the US zones of RFC 822 (`EST`,
 *   `PDT`...), the single military letters (with their real offsets, `A` = +01:00: RFC 1123 notes that
 *   RFC 822 gave their signs backwards), numeric offsets (`+0530`, `+05:30`, `-05`, `GMT+2`), and common
 *   abbreviations feeds use (`BST`, `CET`, `CEST`, `JST`, `AEST`, `IST` = India...). A trailing comment
 *   such as `(PST)` is ignored. Full month and day names, `Sept`, missing seconds, a missing time (the
 *   day at 00:00) and a missing zone (UTC) are accepted; so are the month names of de, fr, es, pt, it
 *   and nl, which localized feeds print. A wrong day name is ignored, as mail software does.
 * - ISO 8601 / RFC 3339 / W3C-DTF (Atom, `dc:date`, pages): `YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][zone]`,
 *   `YYYY-MM`, `YYYY`, the basic form `YYYYMMDDTHHMMSSZ`, a `+0100` offset without a colon; no zone
 *   means UTC.
 *
 * Anything else is `undefined`: the caller keeps the text as the source gave it (never a silent NULL).
 */
import { DateTime } from "effect"

const MONTHS: Record<string, number> = {}
const monthNames: ReadonlyArray<ReadonlyArray<string>> = [
  [
    "jan",
    "january",
    "januar",
    "janvier",
    "janv",
    "enero",
    "ene",
    "janeiro",
    "gennaio",
    "gen",
    "januari",
    "jän",
    "jänner"
  ],
  [
    "feb",
    "february",
    "februar",
    "février",
    "fevrier",
    "févr",
    "fevr",
    "febrero",
    "fevereiro",
    "fev",
    "febbraio",
    "februari"
  ],
  ["mar", "march", "märz", "marz", "mär", "mars", "marzo", "março", "marco", "maart", "mrt"],
  ["apr", "april", "avril", "avr", "abril", "abr", "aprile"],
  ["may", "mai", "mayo", "maio", "maggio", "mag", "mei"],
  ["jun", "june", "juni", "juin", "junio", "junho", "giugno", "giu"],
  ["jul", "july", "juli", "juillet", "juil", "julio", "julho", "luglio", "lug"],
  ["aug", "august", "août", "aout", "agosto", "ago", "augustus"],
  ["sep", "sept", "september", "septembre", "septiembre", "setembro", "set", "settembre"],
  ["oct", "october", "oktober", "okt", "octobre", "octubre", "outubro", "out", "ottobre", "ott"],
  ["nov", "november", "novembre", "noviembre", "novembro"],
  ["dec", "december", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic", "dezembro", "dicembre"]
]
monthNames.forEach((names, i) => names.forEach((name) => (MONTHS[name] = i + 1)))

/** Zone abbreviations, in minutes east of UTC. Ambiguous ones take the reading feeds use most. */
const ZONES: Record<string, number> = {
  gmt: 0,
  ut: 0,
  utc: 0,
  z: 0,
  wet: 0,
  // RFC 822's North American zones
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  // others common in feeds
  ast: -240,
  adt: -180,
  nst: -210,
  ndt: -150,
  akst: -540,
  akdt: -480,
  hst: -600,
  bst: 60,
  ist: 330,
  west: 60,
  cet: 60,
  cest: 120,
  met: 60,
  mest: 120,
  eet: 120,
  eest: 180,
  msk: 180,
  pkt: 300,
  ict: 420,
  wib: 420,
  sgt: 480,
  hkt: 480,
  awst: 480,
  jst: 540,
  kst: 540,
  acst: 570,
  acdt: 630,
  aest: 600,
  aedt: 660,
  nzst: 720,
  nzdt: 780
}

/** Military letters: A-I = +1..+9, K-M = +10..+12, N-Y = -1..-12, Z = UTC (J is not a zone). */
const military = (letter: string): number | undefined => {
  const c = letter.toLowerCase().charCodeAt(0) - 96
  if (letter.length !== 1 || c < 1 || c > 26 || c === 10) return undefined
  if (c === 26) return 0
  if (c <= 9) return c * 60
  if (c <= 13) return (c - 1) * 60
  return -(c - 13) * 60
}

/** A zone token -> minutes east of UTC, or `undefined` when it is not a zone. */
const zoneOffset = (token: string): number | undefined => {
  const t = token.toLowerCase()
  const numeric = /^(?:(?:gmt|utc|ut)?([+-−])(\d{1,2})(?::?(\d{2}))?)$/.exec(t)
  if (numeric !== null) {
    const hours = Number(numeric[2])
    const minutes = numeric[3] === undefined ? 0 : Number(numeric[3])
    if (hours > 14 || minutes > 59) return undefined
    return (numeric[1] === "+" ? 1 : -1) * (hours * 60 + minutes)
  }
  return ZONES[t] ?? military(t)
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate()

const build = (
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number
): DateTime.Utc | undefined => {
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (minute > 59 || second > 60 || hour > 24 || (hour === 24 && (minute > 0 || second > 0))) return undefined
  const ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), millis) - offsetMinutes * 60_000
  return Number.isFinite(ms) ? DateTime.makeUnsafe(ms) : undefined
}

const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(z|[+-−]\d{2}(?::?\d{2})?)?)?)?)?$/i
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})t(\d{2})(\d{2})(\d{2})?(z|[+-]\d{4})?$/i

const num = (digits: string | undefined, otherwise: number) => (digits === undefined ? otherwise : Number(digits))

const parseIso = (text: string): DateTime.Utc | undefined => {
  const basic = ISO_BASIC.exec(text)
  const m = basic ?? ISO.exec(text)
  if (m === null) return undefined
  const zone = basic !== null ? basic[7] : m[8]
  const fraction = basic !== null ? undefined : m[7]
  const offset = zone === undefined ? 0 : zoneOffset(zone)
  if (offset === undefined) return undefined
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000)
  return build(num(m[1], 0), num(m[2], 1), num(m[3], 1), num(m[4], 0), num(m[5], 0), num(m[6], 0), millis, offset)
}

const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/

const fullYear = (digits: string): number => {
  const y = Number(digits)
  if (digits.length === 4) return y
  // RFC 2822 4.3: a two-digit year below 50 is 20xx, else 19xx.
  return digits.length === 2 ? (y < 50 ? 2000 + y : 1900 + y) : NaN
}

/** RFC 822 and its relatives, read as tokens so that the order of the parts may vary a little. */
const parseRfc822 = (text: string): DateTime.Utc | undefined => {
  const tokens = text
    .replace(/\([^)]*\)/g, " ")
    .replace(/,/g, " ")
    .split(/\s+/)
    .filter((t) => t.length > 0)
  let day: number | undefined
  let month: number | undefined
  let year: number | undefined
  let time: RegExpExecArray | undefined
  let offset: number | undefined
  for (const raw of tokens) {
    const token = raw.replace(/\.$/, "").toLowerCase()
    if (time === undefined && TIME.test(token)) {
      time = TIME.exec(token)!
      continue
    }
    if (/^\d+$/.test(token)) {
      if (day === undefined && token.length <= 2 && !(month === undefined && year !== undefined)) day = Number(token)
      else if (year === undefined && (token.length === 4 || token.length === 2)) year = fullYear(token)
      else return undefined
      continue
    }
    if (month === undefined && MONTHS[token] !== undefined) {
      month = MONTHS[token]
      continue
    }
    if (time !== undefined && offset === undefined) {
      const zone = zoneOffset(token)
      if (zone !== undefined) {
        offset = zone
        continue
      }
    }
    // A time glued to its zone (`10:00:00+0100`).
    const glued = /^(\d{1,2}:\d{2}(?::\d{2})?)([+-]\d{2}:?\d{2})$/.exec(token)
    if (glued !== null && time === undefined) {
      time = TIME.exec(glued[1]!)!
      offset = zoneOffset(glued[2]!)
      continue
    }
    // A day name (any language) before the date is ignored; any other word means this is not a date.
    if (day === undefined && month === undefined && /^\p{L}+$/u.test(token)) continue
    return undefined
  }
  if (day === undefined || month === undefined || year === undefined || Number.isNaN(year)) return undefined
  return build(
    year,
    month,
    day,
    time === undefined ? 0 : Number(time[1]),
    time === undefined ? 0 : Number(time[2]),
    time?.[3] === undefined ? 0 : Number(time[3]),
    time?.[4] === undefined ? 0 : Math.floor(Number(`0.${time[4]}`) * 1000),
    offset ?? 0
  )
}

/** The instant a feed or page states, in UTC; `undefined` when the text is not a date this knows. */
export const parse = (text: string | undefined): DateTime.Utc | undefined => {
  if (text === undefined) return undefined
  const t = text.trim().replace(/\s+/g, " ")
  if (t.length === 0 || t.length > 200) return undefined
  return /^\d{4}(?:-|\d{4}t|$)/i.test(t) ? parseIso(t) : parseRfc822(t)
}

/**
 * Languages as silver stores them: a BCP 47 tag whose primary subtag is ISO 639-1 (`en`, `pt-BR`), the
 * form silver's `items_language_tag` check and its text search configuration expect.
 *
 * - `normalize` turns what documents declare (`en_US`, ` EN-us `, `en-US`) into a tag, or nothing;
 * - `detect` guesses the language of a text that declares none, with `franc` (trigram statistics, MIT,
 *   about 300 KB, no model to load), restricted to the 82 written languages below: franc knows 187, and
 *   on short texts its rare ones (Scots, Sardinian) win where English or Slovak was meant. Texts shorter
 *   than 40 letters are not guessed;
 * - `fromName` reads the language a transcription reports: Whisper answers a code (`en`) or an English
 *   name (`english`).
 */
import { franc } from "franc"

/** ISO 639-3 (franc's answer) -> ISO 639-1, for the languages `detect` considers. */
const ISO639_1: Record<string, string> = {
  afr: "af",
  amh: "am",
  arb: "ar",
  azj: "az",
  bel: "be",
  ben: "bn",
  bos: "bs",
  bul: "bg",
  cat: "ca",
  ces: "cs",
  cmn: "zh",
  cym: "cy",
  dan: "da",
  deu: "de",
  ekk: "et",
  ell: "el",
  eng: "en",
  epo: "eo",
  eus: "eu",
  fin: "fi",
  fra: "fr",
  gle: "ga",
  glg: "gl",
  guj: "gu",
  hau: "ha",
  heb: "he",
  hin: "hi",
  hrv: "hr",
  hun: "hu",
  hye: "hy",
  ind: "id",
  isl: "is",
  ita: "it",
  jpn: "ja",
  kan: "kn",
  kat: "ka",
  kaz: "kk",
  khm: "km",
  kor: "ko",
  lao: "lo",
  lit: "lt",
  ltz: "lb",
  lvs: "lv",
  mal: "ml",
  mar: "mr",
  mkd: "mk",
  mlt: "mt",
  mya: "my",
  nld: "nl",
  nno: "nn",
  nob: "nb",
  npi: "ne",
  pan: "pa",
  pes: "fa",
  pol: "pl",
  por: "pt",
  ron: "ro",
  rus: "ru",
  sin: "si",
  slk: "sk",
  slv: "sl",
  som: "so",
  spa: "es",
  sqi: "sq",
  srp: "sr",
  swe: "sv",
  swh: "sw",
  tam: "ta",
  tel: "te",
  tgl: "tl",
  tha: "th",
  tur: "tr",
  ukr: "uk",
  urd: "ur",
  uzn: "uz",
  vie: "vi",
  xho: "xh",
  yor: "yo",
  zlm: "ms",
  zul: "zu",
  lat: "la",
  khk: "mn"
}
const ONLY = Object.keys(ISO639_1)

const TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/

/** `en`, `pt-BR`; `en_US` becomes `en-US`; anything else is no language. */
export const normalize = (lang: string | null | undefined): string | undefined => {
  if (lang === undefined || lang === null) return undefined
  const tag = lang.trim().replace(/_/g, "-")
  return TAG.test(tag) ? tag : undefined
}

/** Letters considered: enough for a stable guess, few enough to stay fast on a long page. */
const SAMPLE = 4000
const MIN_LETTERS = 40

/** The language of a text, when it has enough letters to tell; `undefined` otherwise. */
export const detect = (text: string): string | undefined => {
  const sample = text.slice(0, SAMPLE)
  const letters = sample.match(/\p{L}/gu)?.length ?? 0
  if (letters < MIN_LETTERS) return undefined
  const code = franc(sample, { only: ONLY, minLength: MIN_LETTERS })
  return ISO639_1[code]
}

/** Whisper's language names (its tokenizer's table), for the APIs that answer a name instead of a code. */
const NAMES: Record<string, string> = {
  afrikaans: "af",
  albanian: "sq",
  amharic: "am",
  arabic: "ar",
  armenian: "hy",
  assamese: "as",
  azerbaijani: "az",
  bashkir: "ba",
  basque: "eu",
  belarusian: "be",
  bengali: "bn",
  bosnian: "bs",
  breton: "br",
  bulgarian: "bg",
  burmese: "my",
  cantonese: "yue",
  castilian: "es",
  catalan: "ca",
  chinese: "zh",
  croatian: "hr",
  czech: "cs",
  danish: "da",
  dutch: "nl",
  english: "en",
  estonian: "et",
  faroese: "fo",
  finnish: "fi",
  flemish: "nl",
  french: "fr",
  galician: "gl",
  georgian: "ka",
  german: "de",
  greek: "el",
  gujarati: "gu",
  haitian: "ht",
  "haitian creole": "ht",
  hausa: "ha",
  hawaiian: "haw",
  hebrew: "he",
  hindi: "hi",
  hungarian: "hu",
  icelandic: "is",
  indonesian: "id",
  italian: "it",
  japanese: "ja",
  javanese: "jw",
  kannada: "kn",
  kazakh: "kk",
  khmer: "km",
  korean: "ko",
  lao: "lo",
  latin: "la",
  latvian: "lv",
  letzeburgesch: "lb",
  lingala: "ln",
  lithuanian: "lt",
  luxembourgish: "lb",
  macedonian: "mk",
  malagasy: "mg",
  malay: "ms",
  malayalam: "ml",
  maltese: "mt",
  maori: "mi",
  marathi: "mr",
  moldavian: "ro",
  moldovan: "ro",
  mongolian: "mn",
  myanmar: "my",
  nepali: "ne",
  norwegian: "no",
  nynorsk: "nn",
  occitan: "oc",
  panjabi: "pa",
  pashto: "ps",
  persian: "fa",
  polish: "pl",
  portuguese: "pt",
  punjabi: "pa",
  pushto: "ps",
  romanian: "ro",
  russian: "ru",
  sanskrit: "sa",
  serbian: "sr",
  shona: "sn",
  sindhi: "sd",
  sinhala: "si",
  sinhalese: "si",
  slovak: "sk",
  slovenian: "sl",
  somali: "so",
  spanish: "es",
  sundanese: "su",
  swahili: "sw",
  swedish: "sv",
  tagalog: "tl",
  tajik: "tg",
  tamil: "ta",
  tatar: "tt",
  telugu: "te",
  thai: "th",
  tibetan: "bo",
  turkish: "tr",
  turkmen: "tk",
  ukrainian: "uk",
  urdu: "ur",
  uzbek: "uz",
  valencian: "ca",
  vietnamese: "vi",
  welsh: "cy",
  yiddish: "yi",
  yoruba: "yo"
}

/** A transcription's language, a code (`en`) or a name (`English`), as a tag; `undefined` when unknown. */
export const fromName = (language: string | null | undefined): string | undefined => {
  if (language === undefined || language === null) return undefined
  const name = language.trim().toLowerCase()
  return NAMES[name] ?? normalize(name)
}

/**
 * Real pages in French, Russian, Japanese and Chinese (`../fixtures/search`,
 * sources in its SOURCES.md) as items, the words the search tests look for,
 * and what a correct answer contains, worked out from the text itself.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { ItemInput } from "../../src/Item.ts"
import * as SearchText from "../../src/SearchText.ts"
import { makeItem } from "../../src/testing/ItemFixtures.ts"

const DIR = Path.join(import.meta.dirname, "../fixtures/search")

export interface Page {
  readonly externalId: string
  readonly language: string
  readonly title: string
  readonly body: string
  /** The page's words (outside scripts without spaces), folded. */
  readonly words: ReadonlySet<string>
  /** The page's whole text, folded. */
  readonly folded: string
}

export const pages: ReadonlyArray<Page> = Fs.readdirSync(DIR)
  .filter((file) => file.endsWith(".txt"))
  .sort()
  .map((file) => {
    const text = Fs.readFileSync(Path.join(DIR, file), "utf8")
    const [title, ...rest] = text.split("\n")
    const body = rest.join("\n").trim()
    return {
      externalId: file.replace(/\.txt$/, ""),
      language: file.split("-")[0]!,
      title: title!,
      body,
      words: new Set(SearchText.spacedWords(text).map((span) => span.word)),
      folded: SearchText.fold(text)
    }
  })

export const items: ReadonlyArray<ItemInput> = pages.map((page, n) => ({
  ...makeItem(90_000 + n, { comments: 0, sourceType: "page" }),
  externalId: page.externalId,
  title: page.title,
  bodyText: page.body,
  language: page.language
}))

export const LANGUAGES = ["fr", "ru", "ja", "zh"] as const
export type Language = (typeof LANGUAGES)[number]
export const unspaced = (language: string) => language === "ja" || language === "zh"

/** Words named in the requirements, always among those searched. */
const NAMED: Record<Language, ReadonlyArray<string>> = {
  fr: ["réseau", "réseaux", "adresse", "séisme", "népal"],
  ru: ["сеть", "сети", "адрес", "сервер", "интерфейс"],
  ja: ["ネットワーク", "管理", "設定", "アドレス", "サーバ"],
  zh: ["网络", "地址", "服务器", "宇航员", "配置"]
}

const segmenter = new Intl.Segmenter("und", { granularity: "word" })

/**
 * The words searched in each language: the named ones, and an even sample of
 * the pages' own words (for Japanese and Chinese, the words a dictionary
 * segmenter finds), so that no word was picked by hand to pass.
 */
export const queryWords = (language: Language, perLanguage = 40): ReadonlyArray<string> => {
  const vocabulary = new Set<string>()
  for (const page of pages.filter((p) => p.language === language)) {
    if (unspaced(language)) {
      for (const segment of segmenter.segment(page.folded)) {
        const word = segment.segment
        if (segment.isWordLike && SearchText.isUnspaced(word) && Array.from(word).length >= 2) vocabulary.add(word)
      }
    } else {
      for (const word of page.words) if (Array.from(word).length >= 4 && /^\p{L}+$/u.test(word)) vocabulary.add(word)
    }
  }
  const sorted = [...vocabulary].sort()
  const step = Math.max(1, Math.floor(sorted.length / perLanguage))
  return [...new Set([...NAMED[language], ...sorted.filter((_, n) => n % step === 0).slice(0, perLanguage)])]
}

/** Whether a page contains a (folded) word: as a whole word, or anywhere for scripts without spaces. */
export const contains = (page: Page, word: string) =>
  SearchText.isUnspaced(word) ? page.folded.includes(word) : page.words.has(word)

/** The ways a user may write a word: as it is, capitalised and in capitals. */
export const spellings = (word: string): ReadonlyArray<string> => [
  ...new Set([word, word.charAt(0).toLocaleUpperCase() + word.slice(1), word.toLocaleUpperCase()])
]

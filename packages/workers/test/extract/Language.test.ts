import { assert, describe, it } from "@effect/vitest"
import * as Language from "../../src/extract/Language.ts"

describe("Language", () => {
  it("normalizes declared tags and refuses what is not one", () => {
    assert.strictEqual(Language.normalize(" en_US "), "en-US")
    assert.strictEqual(Language.normalize("pt-BR"), "pt-BR")
    assert.isUndefined(Language.normalize("English (US)"))
    assert.isUndefined(Language.normalize(""))
  })

  it("detects the language of a text that declares none, as an ISO 639-1 code", () => {
    const samples: ReadonlyArray<readonly [string, string]> = [
      ["en", "The quick brown fox jumps over the lazy dog while the farmer watches from the porch of the old house."],
      [
        "fr",
        "Un troisième Français a été tué dans le tremblement de terre samedi au Népal, emporté par une avalanche."
      ],
      [
        "de",
        "Die nun verfügbare Version des Servers stellt die Basis für die kommerzielle Plattform dar und ist schnell."
      ],
      ["ru", "Сеть и интернет: параметры подключения, настройка маршрутизатора и проверка скорости соединения дома."],
      ["ja", "ネットワークの設定を変更するには、管理者の権限が必要です。設定画面から接続を選んでください。"],
      ["zh", "翱翔于距地球数千公里的太空中，进入广袤漆黑的未知领域，是一项艰苦卓绝的工作，这让人感到巨大压力。"],
      ["sk", "Toto je slovenský text o sieťach a internete, ktorý tu píšeme pre našich čitateľov každý deň znova."]
    ]
    for (const [code, text] of samples) assert.strictEqual(Language.detect(text), code, text)
    // Too short to tell: no guess rather than a wrong one.
    assert.isUndefined(Language.detect("OK, thanks"))
  })

  it("reads a transcription's language, code or name", () => {
    assert.strictEqual(Language.fromName("en"), "en")
    assert.strictEqual(Language.fromName("English"), "en")
    assert.strictEqual(Language.fromName("japanese"), "ja")
    assert.isUndefined(Language.fromName("Klingon"))
  })
})

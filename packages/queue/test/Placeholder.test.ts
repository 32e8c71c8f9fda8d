import { expect, it } from "vitest"
it("loads", async () => expect(await import("../src/index.ts")).toBeDefined())

export * as TestDatabase from "./TestDatabase.ts"
export * as ItemFixtures from "./ItemFixtures.ts"

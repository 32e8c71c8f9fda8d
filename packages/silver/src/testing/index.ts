export * as TestDatabase from "./TestDatabase.ts"
export * as ItemFixtures from "./ItemFixtures.ts"
export * as ChildScript from "./ChildScript.ts"

export * as MedallionConfig from "./MedallionConfig.ts"

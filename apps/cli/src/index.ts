export { MedallionConfig } from "@medallion/workers/config"

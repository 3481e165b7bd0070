-- AlterTable
ALTER TABLE "ruts_sessions" ADD COLUMN IF NOT EXISTS "field_count" BIGINT,
ADD COLUMN IF NOT EXISTS "field_bytes" BIGINT;

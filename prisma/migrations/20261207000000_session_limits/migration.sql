-- AlterTable
ALTER TABLE "ruts_sessions" ADD COLUMN IF NOT EXISTS "field_count" INTEGER,
ADD COLUMN IF NOT EXISTS "field_bytes" BIGINT;

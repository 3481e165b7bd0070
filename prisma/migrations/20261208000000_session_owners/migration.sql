-- AlterTable
ALTER TABLE "ruts_sessions" ADD COLUMN IF NOT EXISTS "owner" TEXT,
ADD COLUMN IF NOT EXISTS "last_active_at" TIMESTAMPTZ(6);

-- CreateIndex
CREATE INDEX IF NOT EXISTS "ruts_sessions_owner_idx" ON "ruts_sessions"("owner");

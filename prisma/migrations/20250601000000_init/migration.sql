-- CreateTable
CREATE TABLE "ruts_sessions" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6),
    "deadline" TIMESTAMPTZ(6),

    CONSTRAINT "ruts_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ruts_session_fields" (
    "session_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "value" BYTEA NOT NULL,
    "expires_at" TIMESTAMPTZ(6),

    CONSTRAINT "ruts_session_fields_pkey" PRIMARY KEY ("session_id","name")
);

-- CreateIndex
CREATE UNIQUE INDEX "ruts_sessions_key_key" ON "ruts_sessions"("key");

-- CreateIndex
CREATE INDEX "ruts_sessions_expires_at_idx" ON "ruts_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "ruts_session_fields_expires_at_idx" ON "ruts_session_fields"("expires_at");

-- AddForeignKey
ALTER TABLE "ruts_session_fields" ADD CONSTRAINT "ruts_session_fields_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "ruts_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

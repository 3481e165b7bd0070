-- CreateTable
CREATE TABLE "ruts_sessions" (
    "key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6),
    "deadline" TIMESTAMPTZ(6),

    CONSTRAINT "ruts_sessions_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "ruts_session_fields" (
    "session_key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" BYTEA NOT NULL,
    "expires_at" TIMESTAMPTZ(6),

    CONSTRAINT "ruts_session_fields_pkey" PRIMARY KEY ("session_key","name")
);

-- CreateIndex
CREATE INDEX "ruts_sessions_expires_at_idx" ON "ruts_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "ruts_session_fields_expires_at_idx" ON "ruts_session_fields"("expires_at");

-- AddForeignKey
ALTER TABLE "ruts_session_fields" ADD CONSTRAINT "ruts_session_fields_session_key_fkey" FOREIGN KEY ("session_key") REFERENCES "ruts_sessions"("key") ON DELETE CASCADE ON UPDATE CASCADE;

/** The one-time messages a page took from the session with `takeFlash`. */
export function FlashMessages({ notice, error }: { notice?: string; error?: string }) {
  return (
    <>
      {notice ? (
        <p className="flash flash-notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <p className="flash flash-error" role="alert">
          {error}
        </p>
      ) : null}
    </>
  );
}

const when = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'medium',
  timeZone: 'UTC',
});

/** A time as `25 Nov 2025, 22:41:07 UTC`, with how far away it is. */
export function Moment({ at, now }: { at: Date; now: number }) {
  const seconds = Math.round((at.getTime() - now) / 1000);
  const relative =
    Math.abs(seconds) < 2
      ? 'just now'
      : seconds > 0
        ? `in ${duration(seconds)}`
        : `${duration(-seconds)} ago`;
  return (
    <>
      <time dateTime={at.toISOString()}>{`${when.format(at)} UTC`}</time>{' '}
      <span className="muted small">{`(${relative})`}</span>
    </>
  );
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

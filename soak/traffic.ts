/**
 * The soak's traffic: the request sequence each autocannon connection loops over. One pass is
 * one shopper's session through the JSON API: sign in (a new session and cookie), reads of the
 * session between cart and field writes, then sign out, or walk away and leave the session to
 * expire. Each connection carries its own cookie in autocannon's per-connection context, and
 * every read is checked against what that session wrote.
 *
 * @packageDocumentation
 */

/// <reference path="./autocannon.d.ts" />

import type { SequenceRequest } from 'autocannon';

/** The example app's session cookie. */
const SESSION_COOKIE = '__Host-ruts';

/** What the traffic saw, beyond autocannon's own counts. */
export interface TrafficCounts {
  /** Sign-ins answered with a new session cookie. */
  sessionsCreated: number;
  /** Sessions signed out (destroyed) at the end of a pass. */
  sessionsSignedOut: number;
  /** Sessions left behind, as a visitor who simply leaves. */
  sessionsAbandoned: number;
  /** Reads checked against what the session had written. */
  readsChecked: number;
  /** 2xx reads whose data was not what the session had written. */
  wrongReads: number;
  /** The first few wrong reads, for the report. */
  wrongReadExamples: string[];
}

interface PassContext {
  cookie?: string;
  username?: string;
  bottles?: number;
  lamps?: number;
  note?: number;
}

function newCounts(): TrafficCounts {
  return {
    sessionsCreated: 0,
    sessionsSignedOut: 0,
    sessionsAbandoned: 0,
    readsChecked: 0,
    wrongReads: 0,
    wrongReadExamples: [],
  };
}

/** The `name=value` pair of the session cookie a response set, if any. */
function sessionCookie(headers: Record<string, string | string[]>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'set-cookie') continue;
    for (const line of Array.isArray(value) ? value : [value]) {
      const pair = line.split(';')[0] ?? '';
      if (pair.startsWith(`${SESSION_COOKIE}=`) && pair.length > SESSION_COOKIE.length + 1) {
        return pair;
      }
    }
  }
  return undefined;
}

/** Builds the sequence, and the counts it keeps while autocannon runs it. */
export function shopperTraffic(): { requests: SequenceRequest[]; counts: TrafficCounts } {
  const counts = newCounts();
  let shoppers = 0;

  const json = { 'content-type': 'application/json' };
  /** Adds the pass's cookie to a request. */
  const withCookie = (request: SequenceRequest, context: Record<string, unknown>) => {
    const { cookie } = context as PassContext;
    return { ...request, headers: { ...request.headers, ...(cookie ? { cookie } : {}) } };
  };
  /** Keeps a renewed cookie, should the server send one. */
  const keepCookie = (headers: Record<string, string | string[]>, context: PassContext) => {
    const renewed = sessionCookie(headers);
    if (renewed) context.cookie = renewed;
  };
  const write = (
    method: 'PUT' | 'DELETE',
    key: string,
    body: (context: PassContext) => unknown,
  ): SequenceRequest => ({
    method,
    path: `/api/session/${encodeURIComponent(key)}`,
    headers: json,
    setupRequest: (request, context) => {
      const value = body(context as PassContext);
      return {
        ...withCookie(request, context),
        ...(value === undefined ? {} : { body: JSON.stringify(value) }),
      };
    },
    onResponse: (_status, _body, context, headers) => keepCookie(headers, context as PassContext),
  });
  /** A read, checked against the fields the pass has written so far. */
  const read: SequenceRequest = {
    method: 'GET',
    path: '/api/session',
    setupRequest: withCookie,
    onResponse: (status, body, raw) => {
      const context = raw as PassContext;
      if (status < 200 || status >= 300) return; // Counted by autocannon as non-2xx.
      counts.readsChecked++;
      let fields: Record<string, unknown> = {};
      try {
        fields = (JSON.parse(body) as { fields: Record<string, unknown> }).fields;
      } catch {
        // Left empty, so the check below reports it.
      }
      const expected: Record<string, unknown> = {
        userId: `u_${context.username}`,
        username: context.username,
        ...(context.bottles === undefined ? {} : { 'cart:trail-bottle': context.bottles }),
        ...(context.lamps === undefined ? {} : { 'cart:lumen-headlamp': context.lamps }),
        ...(context.note === undefined ? {} : { note: { text: 'soak', n: context.note } }),
      };
      if (JSON.stringify(sorted(fields)) !== JSON.stringify(sorted(expected))) {
        counts.wrongReads++;
        if (counts.wrongReadExamples.length < 5) {
          counts.wrongReadExamples.push(
            `expected ${JSON.stringify(expected)}, got ${body.slice(0, 300)}`,
          );
        }
      }
    },
  };

  const requests: SequenceRequest[] = [
    {
      method: 'POST',
      path: '/api/login',
      headers: json,
      // A new shopper each pass: the context starts empty, so this request carries no cookie.
      setupRequest: (request, context) => {
        const username = `soak${(shoppers++).toString(36)}`;
        (context as PassContext).username = username;
        return { ...request, body: JSON.stringify({ username }) };
      },
      onResponse: (status, _body, context, headers) => {
        const cookie = sessionCookie(headers);
        if (status === 200 && cookie) {
          (context as PassContext).cookie = cookie;
          counts.sessionsCreated++;
        }
      },
    },
    read,
    write('PUT', 'cart:trail-bottle', (context) => {
      context.bottles = 1 + (shoppers % 5);
      return { value: context.bottles };
    }),
    read,
    write('PUT', 'note', (context) => {
      context.note = shoppers;
      return { value: { text: 'soak', n: context.note }, ttl: 600 };
    }),
    read,
    write('PUT', 'cart:lumen-headlamp', (context) => {
      context.lamps = 1;
      return { value: 1 };
    }),
    read,
    write('DELETE', 'note', (context) => {
      context.note = undefined;
      return undefined;
    }),
    read,
    {
      method: 'POST',
      path: '/api/logout',
      // Every other shopper walks away instead: returning nothing starts the next pass, and
      // the session stays in the store, as abandoned sessions do.
      setupRequest: (request, context) => {
        if (Math.random() < 0.5) {
          counts.sessionsAbandoned++;
          return undefined;
        }
        return withCookie(request, context);
      },
      onResponse: (status) => {
        if (status === 200) counts.sessionsSignedOut++;
      },
    },
  ];
  return { requests, counts };
}

/** A copy of `object` with its keys in order, to compare two field sets as JSON. */
function sorted(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : 1)));
}

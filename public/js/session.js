/**
 * Who is signed in: the answer of GET /api/v1/me, kept in memory only (never in storage). The console
 * hides what a role may not do by checking these scopes; the server enforces the same rules anyway.
 */
import { ApiError, get } from "./api.js";

let me = null;

/** Reloads /me. Returns null when nobody is signed in. */
export async function loadMe() {
  try {
    me = await get("/me", { quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) me = null;
    else throw err;
  }
  return me;
}

export function currentMe() {
  return me;
}

export function forget() {
  me = null;
}

/** True when the signed-in principal holds the scope. */
export function can(scope) {
  return Boolean(me?.scopes?.includes(scope));
}

/** Where to land after signing in, given what this role may read. */
export function homeRoute() {
  if (can("credentials:read")) return "#/credentials";
  if (can("audit:read")) return "#/audit";
  return "#/sessions";
}

export const ROLE_TEXT = {
  owner: "Owners manage everything: credentials, resources, members, invitations and everyone's sessions.",
  admin: "Admins create, rotate and revoke credentials, define resources and read the audit log.",
  viewer: "Viewers can look at credentials, resources and the audit log, but cannot change anything.",
};

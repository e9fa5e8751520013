// Every bench scenario, in the order of the table. Adding one: a module beside this one, one line here.
import dpop from "./dpop-mint.mjs";
import floor from "./floor-mint.mjs";
import floorVerify from "./floor-verify.mjs";
import healthz from "./healthz.mjs";
import jwks from "./jwks.mjs";
import pkjwt from "./private-key-jwt-mint.mjs";
import secret from "./secret-mint.mjs";
import exchange from "./token-exchange.mjs";

/** @type {import("./types.mjs").Scenario[]} */
export const SCENARIOS = [healthz, floor, floorVerify, secret, pkjwt, exchange, dpop, jwks];

// Server refusals in the page's language. An error frame carries a code, a
// reason key, the field it concerns and params; the English `message` is for
// logs only and is shown just when this client knows neither key.

import { has, t } from "./i18n.js";

/** The field's name as the page calls it: "value" → "Value to us", a path → its last part. */
export function fieldLabel(field) {
  const last = field.split(".").at(-1).replace(/\[\d+\]$/, "");
  return has(`field.${last}`) ? t(`field.${last}`) : last;
}

// Params that name a role, a phase or a reason for protection are ids: say them in the page's language.
const PARAM_TEXTS = {
  role: (id) => `role.${id}`,
  party: (id) => `role.${id}`,
  phase: (id) => `phase.${id}.name`,
  why: (id) => `item.protected.${id}`,
};

/** The text to show for an error frame ({code, reason, field, params, message}). */
export function errorText(error) {
  const params = { ...(error.params ?? {}) };
  for (const [name, key] of Object.entries(PARAM_TEXTS)) {
    if (name in params && has(key(params[name]))) params[name] = t(key(params[name]));
  }
  if (error.field) params.field = fieldLabel(error.field);
  if (error.reason && has(`reason.${error.reason}`)) return t(`reason.${error.reason}`, params);
  if (has(`error.${error.code}`)) return t(`error.${error.code}`, params);
  return error.message;
}

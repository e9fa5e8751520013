/**
 * Form plumbing shared by the console pages: the assertive status region under a form, a form whose
 * submit checks its inputs, keeps the submit button off while the request runs and reports problems in
 * that region (as text nodes, like everything built with h()), and the server's field errors beside their inputs.
 */
import { h, replace } from "./dom.js";
import { errorBox, notice } from "./ui.js";

/**
 * Shows a 400 problem's field `issues` (`[{path, message}]`) beside the inputs `controls` maps their paths to
 * (each input built with ui.field), marking them aria-invalid; clears the earlier messages first, so `[]` clears
 * them all. Returns the issues no control claims, for the form's status region.
 */
export function showFieldErrors(controls, issues) {
  for (const control of Object.values(controls)) {
    control.removeAttribute("aria-invalid");
    control.closest(".field")?.querySelector(".field-error")?.remove();
    const described = (control.getAttribute("aria-describedby") ?? "").replace(`${control.id}-error`, "").trim();
    if (described) control.setAttribute("aria-describedby", described);
    else control.removeAttribute("aria-describedby");
  }
  const unclaimed = [];
  for (const issue of issues) {
    const control = controls[issue.path];
    if (!control) {
      unclaimed.push(issue);
      continue;
    }
    const box = control.closest(".field");
    let message = box.querySelector(".field-error");
    if (!message) {
      message = h("p", { class: "field-error", id: `${control.id}-error` });
      box.append(message);
      const described = control.getAttribute("aria-describedby");
      control.setAttribute("aria-describedby", described ? `${described} ${message.id}` : message.id);
    }
    message.textContent = message.textContent ? `${message.textContent}; ${issue.message}` : issue.message;
    control.setAttribute("aria-invalid", "true");
  }
  return unclaimed;
}

/** The live region a form reports into. `className` "form-status" hides it while it is empty. */
export function statusRegion(className = null) {
  return h("div", { class: className, "aria-live": "assertive" });
}

/**
 * A <form novalidate> whose submit: clears `status` first when `clearStatus`; shows `check()`'s message, if it
 * returns one, as a danger notice; else turns `submit` (a button, optional) off and runs `action()`. If that
 * throws, the button comes back on and the error goes to `onError(err, status)`, or into `status` as an error box.
 */
export function submitForm(
  { class: className = "form", status, submit, check, action, onError, clearStatus = false },
  ...children
) {
  return h(
    "form",
    {
      class: className,
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        if (clearStatus) replace(status);
        const problem = check?.();
        if (problem) return void replace(status, notice("danger", problem));
        if (submit) submit.disabled = true;
        try {
          await action();
        } catch (err) {
          if (submit) submit.disabled = false;
          if (onError) onError(err, status);
          else replace(status, errorBox(err));
        }
      },
    },
    children,
  );
}

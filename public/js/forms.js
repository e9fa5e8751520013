/**
 * Form plumbing shared by the console pages: the assertive status region under a form, and a form whose
 * submit checks its inputs, keeps the submit button off while the request runs and reports problems in
 * that region (as text nodes, like everything built with h()).
 */
import { h, replace } from "./dom.js";
import { errorBox, notice } from "./ui.js";

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

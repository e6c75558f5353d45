// Niceties on top of pages that work without JavaScript: copy buttons, and taking a shown-once secret
// out of the address bar's history so a reload shows the page again instead of re-posting the form.

function announce(text) {
  let region = document.getElementById("announcer");
  if (!region) {
    region = document.createElement("div");
    region.id = "announcer";
    region.className = "sr-only";
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
  }
  region.textContent = text;
}

async function copyField(button) {
  const field = document.getElementById(button.dataset.copy);
  const label = button.textContent;
  // The words, in the page's language, come from the page (templates/base.html).
  const words = document.body.dataset;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = words.copied;
    announce(words.copiedAnnounce);
  } catch {
    // No clipboard access (an insecure origin, or permission refused): select it for Ctrl+C.
    field.focus();
    field.select();
    button.textContent = words.pressCopy;
    announce(words.pressCopyAnnounce);
  }
  setTimeout(() => { button.textContent = label; }, 2500);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", () => copyField(button));
  }
  const shownOnce = document.querySelector("[data-replace-url]");
  if (shownOnce) {
    history.replaceState(null, "", shownOnce.dataset.replaceUrl);
  }
});

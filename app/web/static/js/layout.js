// Every page: the language switcher and the sign-out button.
import { api, flash, messages } from "./api.js";

const select = document.getElementById("language-select");
if (select) {
  select.addEventListener("change", async () => {
    const language = select.value;
    document.cookie = `retention_lang=${encodeURIComponent(language)}; path=/; max-age=31536000; samesite=lax`;
    if (select.dataset.signedIn === "yes") {
      try {
        await api("PATCH", "/api/v1/auth/me", { language });
      } catch (error) {
        flash(error.message || messages.failed, "error");
        return;
      }
    }
    window.location.reload();
  });
}

const signOut = document.getElementById("sign-out");
if (signOut) {
  signOut.addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch {
      // The session may already be gone; the sign-in page is the right place either way.
    }
    window.location.assign("/login");
  });
}

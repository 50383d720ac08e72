// The theme a person chose with the app bar's toggle, kept in this browser for a year. The server reads the cookie when
// it renders a page (App.razor), so a reload or a new tab opens in that theme without a flash of the other one.
export function remember(dark) {
  document.cookie = `EdgePortal.Theme=${dark ? "dark" : "light"}; path=/; max-age=31536000; samesite=lax`;
}

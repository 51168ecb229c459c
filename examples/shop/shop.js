// The shop's own script, shared by every page: the header (cart count, who is logged in), the
// consent banner, the cart in localStorage — and the one place the Pulse tracker is set up.
// The tracker itself comes from the collector (<script src=".../v1/tracker.js"> on each page);
// the shop's server fills in the two %…% values.
const COLLECTOR_URL = '%PULSE_COLLECTOR_URL%';
const WRITE_KEY = '%PULSE_WRITE_KEY%';

const shop = {
  customer: () => localStorage.getItem('shop.customer') || undefined,
  cart: () => JSON.parse(localStorage.getItem('shop.cart') || '[]'),
  addToCart(item) {
    localStorage.setItem('shop.cart', JSON.stringify([...shop.cart(), item]));
    renderHeader();
  },
  logIn(customerId) {
    localStorage.setItem('shop.customer', customerId);
    // An anonymous visitor became a customer: later visits carry the customer's id.
    window.pulse?.identify(customerId);
    renderHeader();
  },
  logOut() {
    localStorage.removeItem('shop.customer');
    window.pulse?.identify(undefined);
    renderHeader();
  },
};
window.shop = shop;

// The tracker: a visit on load and on every history navigation; nothing before the visitor
// accepts analytics (requireConsent); the customer's id once they are logged in.
if (window.pulse) {
  pulse.init({
    endpoint: `${COLLECTOR_URL}/v1/events`,
    writeKey: WRITE_KEY,
    customerId: shop.customer(),
    requireConsent: true,
  });
} else {
  console.warn(`Pulse tracker not loaded from ${COLLECTOR_URL}: this page is not measured`);
}

function renderHeader() {
  const header = document.querySelector('header');
  const customer = shop.customer();
  const count = shop.cart().length;
  header.innerHTML = `
    <a class="brand" href="/">Pulse Outfitters</a>
    <nav>
      <a href="/">Products</a>
      <a href="/cart/" id="cart-link">Cart (${count})</a>
    </nav>
    <span class="who">${
      customer
        ? 'Logged in as <strong id="customer"></strong><button id="log-out">Log out</button>'
        : '<a href="/cart/login" id="log-in">Log in</a>'
    }</span>`;
  if (customer) header.querySelector('#customer').textContent = customer;
  header.querySelector('#log-out')?.addEventListener('click', () => shop.logOut());
}

function consentBanner() {
  const choice = localStorage.getItem('shop.consent');
  if (choice) return window.pulse?.consent(choice === 'yes');
  const banner = document.createElement('div');
  banner.id = 'consent';
  banner.innerHTML = `
    <p>We count visits (which page, when) to see how often you come back. No cookies; nothing
    is sent unless you accept.</p>
    <button id="accept">Accept</button><button class="secondary" id="decline">Decline</button>`;
  document.body.append(banner);
  const decide = (yes) => {
    localStorage.setItem('shop.consent', yes ? 'yes' : 'no');
    window.pulse?.consent(yes);
    banner.remove();
  };
  banner.querySelector('#accept').addEventListener('click', () => decide(true));
  banner.querySelector('#decline').addEventListener('click', () => decide(false));
}

renderHeader();
consentBanner();
document.querySelector('[data-add]')?.addEventListener('click', (event) => {
  shop.addToCart(event.currentTarget.dataset.add);
  event.currentTarget.textContent = 'Added ✓';
});

// The cart and checkout as a single-page app: links and buttons change the route with
// history.pushState, the back button with popstate; the page never reloads. The tracker sees
// each new path as a visit, and `shop.logIn` tells it who the visitor is (pulse.identify).
const app = document.getElementById('app');
const products = {
  'trail-shoes': ['Trail shoes', 8900],
  'rain-jacket': ['Rain jacket', 12900],
  'wool-socks': ['Wool socks', 1400],
};
const euros = (cents) => `€${(cents / 100).toFixed(2)}`;

function go(path) {
  history.pushState(null, '', path);
  render();
}

function steps(current) {
  const names = { '/cart/': 'Cart', '/cart/login': 'Log in', '/cart/shipping': 'Shipping' };
  return `<div class="steps">${Object.entries(names)
    .map(([path, name]) => `<span class="${path === current ? 'current' : ''}">${name}</span>`)
    .join('')}</div>`;
}

const views = {
  '/cart/': () => {
    const items = window.shop.cart();
    const total = items.reduce((sum, slug) => sum + (products[slug]?.[1] ?? 0), 0);
    return `${steps('/cart/')}<h1>Your cart</h1>
      ${
        items.length === 0
          ? '<p>The cart is empty. <a href="/">Find something you like.</a></p>'
          : `<table>${items
              .map(
                (slug) =>
                  `<tr><td>${products[slug]?.[0] ?? slug}</td><td>${euros(products[slug]?.[1] ?? 0)}</td></tr>`,
              )
              .join('')}<tr><th>Total</th><th>${euros(total)}</th></tr></table>`
      }
      <p><button data-go="${window.shop.customer() ? '/cart/shipping' : '/cart/login'}" id="check-out">Check out</button></p>`;
  },
  '/cart/login': () => `${steps('/cart/login')}<h1>Log in</h1>
    <form id="login">
      <label for="customer-id">Customer id</label>
      <input id="customer-id" value="demo-shopper" autocomplete="off" />
      <p class="hint">A demo: no password. Pulse builds this customer's profile from your visits;
      see it with <code>npx pulse profile demo-shopper</code>.</p>
      <button type="submit" id="log-in-submit">Log in</button>
    </form>`,
  '/cart/shipping': () => `${steps('/cart/shipping')}<h1>Shipping</h1>
    <form id="shipping">
      <label for="address">Address</label>
      <input id="address" value="1 Drizzle Lane" />
      <p><button type="submit" id="place-order">Place order</button></p>
    </form>`,
  '/cart/done': () => `<h1>Thank you!</h1><p>Your order is on its way.</p>
    <p><a class="button" href="/">Keep shopping</a></p>`,
};

function render() {
  const view = views[location.pathname] ?? views['/cart/'];
  app.innerHTML = view();
  app
    .querySelectorAll('[data-go]')
    .forEach((button) => button.addEventListener('click', () => go(button.dataset.go)));
  app.querySelector('#login')?.addEventListener('submit', (event) => {
    event.preventDefault();
    window.shop.logIn(app.querySelector('#customer-id').value.trim() || 'demo-shopper');
    go(window.shop.cart().length > 0 ? '/cart/shipping' : '/cart/');
  });
  app.querySelector('#shipping')?.addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.removeItem('shop.cart');
    go('/cart/done');
  });
}

addEventListener('popstate', render);
render();

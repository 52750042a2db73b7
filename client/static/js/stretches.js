// Stretch library: filter by where you are (desk, standing, floor). (While the safety
// check holds stretches, app.js hides the library and shows why: see safety.js.)

const filters = document.querySelector('.filters');
const library = document.getElementById('library');

if (filters && library) {
  const cards = [...library.children];
  filters.hidden = false;
  filters.addEventListener('click', (event) => {
    const button = event.target.closest('[data-filter]');
    if (!button) return;
    for (const b of filters.querySelectorAll('[data-filter]')) b.setAttribute('aria-pressed', String(b === button));
    const want = button.dataset.filter;
    for (const card of cards) {
      const { position, desk } = card.dataset;
      card.hidden = !(want === 'all' || (want === 'desk' ? desk === 'true' : position === want));
    }
  });
}

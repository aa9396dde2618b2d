// Modal dialogs on the native <dialog> element: showModal() makes the rest of the page inert and keeps
// the focus inside; Escape closes. These helpers put the focus back where it was when a dialog closes.

/** Opens `dialog` as a modal; when it closes, the focus returns to the element that had it. */
export function openModal(dialog, focusTarget) {
  const previous = document.activeElement;
  if (!dialog.open) dialog.showModal();
  (focusTarget ?? dialog.querySelector('[autofocus]') ?? dialog.querySelector('input, select, textarea, button'))?.focus();
  dialog.addEventListener(
    'close',
    () => {
      // The opener may have been redrawn meanwhile (a live row update): fall back to the jobs section.
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
      else document.getElementById('jobs')?.focus();
    },
    { once: true },
  );
}

/** Asks a yes/no question; resolves true for OK. */
export function confirmDialog({ title, text, ok = 'OK' }) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = ok;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    openModal(dialog);
  });
}

/** Asks for an API key with the server's message; resolves with the key (the dialog cannot be dismissed). */
export function keyDialog(message) {
  const dialog = document.getElementById('key-dialog');
  const form = document.getElementById('key-form');
  const input = document.getElementById('key-input');
  document.getElementById('key-error').textContent = message ?? '';
  input.value = '';
  return new Promise((resolve) => {
    const onSubmit = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (key === '') return;
      form.removeEventListener('submit', onSubmit);
      dialog.close();
      resolve(key);
    };
    form.addEventListener('submit', onSubmit);
    openModal(dialog, input);
  });
}

/** Without a key nothing works, so Escape does not close the key dialog. */
export function installKeyDialogGuard() {
  document.getElementById('key-dialog').addEventListener('cancel', (event) => event.preventDefault());
}

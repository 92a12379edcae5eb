// The "no model loaded" panel: the server's catalog of pullable models, each with a Pull button (Ollama's
// POST /api/pull, NDJSON progress); when the server has no catalog, it says pulling is not available.

const panel = () => document.getElementById('pull-panel');

export function hidePullPanel() {
  panel().hidden = true;
  panel().replaceChildren();
}

/** Shows the panel; reload() is called once a pull finished (to refresh the model list). */
export async function showPullPanel(api, reload) {
  const box = panel();
  box.hidden = false;
  box.replaceChildren(heading('No model is loaded'));
  let catalog;
  try {
    catalog = await api.catalog();
  } catch (e) {
    box.appendChild(paragraph('Cannot read the model catalog: ' + e.message));
    return;
  }
  if (catalog == null) {
    box.appendChild(paragraph('Pulling models is not available on this server: start it with a model (-m FILE.gguf).'));
    return;
  }
  if (catalog.length === 0) {
    box.appendChild(paragraph('The server\'s catalog is empty.'));
    return;
  }
  const list = document.createElement('ul');
  list.className = 'catalog';
  for (const entry of catalog) list.appendChild(row(api, entry, reload));
  box.appendChild(list);
}

function row(api, entry, reload) {
  const item = document.createElement('li');
  const name = document.createElement('strong');
  name.textContent = entry.name;
  const about = document.createElement('span');
  about.textContent = [entry.quant, size(entry.sizeBytes), entry.description].filter(Boolean).join(' · ');
  const progress = document.createElement('progress');
  progress.hidden = true;
  const status = document.createElement('span');
  status.className = 'pull-status';
  const pull = document.createElement('button');
  pull.type = 'button';
  pull.textContent = 'Pull';
  pull.addEventListener('click', async () => {
    pull.disabled = true;
    progress.hidden = false;
    try {
      await api.pull(entry.name, p => {
        status.textContent = p.status || '';
        if (p.total) {
          progress.max = p.total;
          progress.value = p.completed || 0;
          status.textContent += ' ' + size(p.completed || 0) + ' / ' + size(p.total);
        }
      });
      status.textContent = 'done';
      await reload();
    } catch (e) {
      status.textContent = 'failed: ' + e.message;
      pull.disabled = false;
    }
  });
  item.append(name, about, pull, progress, status);
  return item;
}

function heading(text) {
  const h = document.createElement('h2');
  h.textContent = text;
  return h;
}

function paragraph(text) {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}

function size(bytes) {
  if (bytes == null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return v.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
}

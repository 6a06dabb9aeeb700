// Admin: agents. Create from a template; edit the model (from the configured providers' lists),
// instructions, greeting, tagline, starter prompts, allowed tools and granted folders; delete
// with confirmation. Personal agents are listed but their tools and folders are not editable
// (the server refuses it too). With an enterprise licence a shared agent can be restricted to
// groups: then only admins and the groups' members see it.
import { html, useEffect, useState } from '../../lib/html.js';
import { api, get, post } from '../../lib/api.js';
import { Field, ErrorLine } from '../../lib/form.js';
import { GroupPicker, useGroups } from '../../lib/groups.js';

const TOOLS = [
  { id: 'pinchy_ls', label: 'List files in granted folders' },
  { id: 'pinchy_read', label: 'Read files in granted folders' },
  { id: 'pinchy_memory', label: "Remember things about each user (memory_save, memory_search, memory_forget; each user's own)" },
];

export function Agents() {
  const [agents, setAgents] = useState([]);
  const [models, setModels] = useState([]);
  const [folders, setFolders] = useState([]);
  const [templates, setTemplates] = useState([]);
  const [error, setError] = useState(null);
  const groups = useGroups();

  async function load() {
    try {
      const [a, m, d, t] = await Promise.all([
        get('/api/agents'), get('/api/providers/models'), get('/api/data-directories'), get('/api/templates'),
      ]);
      setAgents(a);
      setModels(m.models);
      setFolders(d.directories);
      setTemplates(t.templates);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => { load(); }, []);

  return html`
    <main>
      <h1>Agents</h1>
      <${ErrorLine} error=${error} />
      <${CreateAgent} templates=${templates} onCreated=${load} />
      ${agents.map((a) => html`<${AgentEditor} key=${a.id} agent=${a} models=${models} folders=${folders} groups=${groups} onChanged=${load} />`)}
    </main>`;
}

function CreateAgent({ templates, onCreated }) {
  const [name, setName] = useState('');
  const [templateId, setTemplateId] = useState('knowledge-base');
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      await post('/api/agents', { name: name.trim(), templateId });
      setName('');
      onCreated();
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" onSubmit=${submit}>
      <h2>New agent</h2>
      <${Field} id="new-agent-name" label="Name" value=${name} onInput=${setName} hint="1–30 characters." />
      <div class="field">
        <label for="new-agent-template">Template</label>
        <select id="new-agent-template" value=${templateId} onChange=${(e) => setTemplateId(e.currentTarget.value)}>
          ${templates.map((t) => html`<option value=${t.id}>${t.name} — ${t.description}</option>`)}
        </select>
      </div>
      <${ErrorLine} error=${error} />
      <button type="submit">Create the agent</button>
    </form>`;
}

function AgentEditor({ agent, models, folders, groups, onChanged }) {
  const [form, setForm] = useState(() => ({
    name: agent.name,
    model: agent.model ?? '',
    instructions: agent.instructions ?? '',
    greeting: agent.greeting ?? '',
    tagline: agent.tagline ?? '',
    starterPrompts: (agent.starterPrompts ?? []).join('\n'),
    allowedTools: agent.allowedTools ?? [],
    paths: agent.pluginConfig?.allowed_paths ?? [],
    visibility: agent.visibility ?? 'all',
    groupIds: agent.groupIds ?? [],
  }));
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const set = (key) => (value) => setForm({ ...form, [key]: value });
  const toggle = (key, value) => set(key)(form[key].includes(value) ? form[key].filter((v) => v !== value) : [...form[key], value]);
  const id = (field) => `agent-${agent.id}-${field}`;

  async function save(e) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const body = {
      name: form.name.trim(),
      instructions: form.instructions,
      greeting: form.greeting,
      tagline: form.tagline,
      starterPrompts: form.starterPrompts.split('\n').map((p) => p.trim()).filter(Boolean),
    };
    if (form.model) body.model = form.model;
    if (!agent.isPersonal) {
      body.allowedTools = form.allowedTools;
      body.pluginConfig = { allowed_paths: form.paths };
      // Restricting needs the licence; without one the setting is left as it is.
      if (groups) {
        body.visibility = form.visibility;
        body.groupIds = form.visibility === 'restricted' ? form.groupIds : [];
      }
    }
    try {
      await api('PATCH', `/api/agents/${agent.id}`, body);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  }

  async function remove() {
    if (!confirm(`Delete the agent ${agent.name}? Nobody can chat with it afterwards.`)) return;
    try {
      await api('DELETE', `/api/agents/${agent.id}`);
      onChanged();
    } catch (err) {
      setError(err);
    }
  }

  return html`
    <form class="card agent-editor" onSubmit=${save} aria-labelledby=${id('title')}>
      <h2 id=${id('title')}>${agent.name}${agent.isPersonal ? html` <span class="tag">personal</span>` : ''}</h2>
      <${Field} id=${id('name')} label="Name" value=${form.name} onInput=${set('name')} />
      <div class="field">
        <label for=${id('model')}>Model</label>
        <select id=${id('model')} value=${form.model} onChange=${(e) => set('model')(e.currentTarget.value)}>
          <option value="">— none —</option>
          ${models.map((m) => html`<option value=${`${m.provider}/${m.id}`}>${m.displayName ?? m.id} (${m.provider})</option>`)}
          ${form.model && !models.some((m) => `${m.provider}/${m.id}` === form.model) && html`<option value=${form.model}>${form.model}</option>`}
        </select>
      </div>
      <div class="field">
        <label for=${id('instructions')}>Instructions</label>
        <textarea id=${id('instructions')} rows="5" value=${form.instructions} onInput=${(e) => set('instructions')(e.currentTarget.value)}></textarea>
      </div>
      <${Field} id=${id('greeting')} label="Greeting" value=${form.greeting} onInput=${set('greeting')} required=${false} />
      <${Field} id=${id('tagline')} label="Tagline" value=${form.tagline} onInput=${set('tagline')} required=${false} />
      <div class="field">
        <label for=${id('starters')}>Starter prompts (one per line, at most 6)</label>
        <textarea id=${id('starters')} rows="3" value=${form.starterPrompts} onInput=${(e) => set('starterPrompts')(e.currentTarget.value)}></textarea>
      </div>
      ${!agent.isPersonal && html`
        <fieldset>
          <legend>Tools</legend>
          ${TOOLS.map((t) => html`
            <label class="choice"><input type="checkbox" checked=${form.allowedTools.includes(t.id)}
              onChange=${() => toggle('allowedTools', t.id)} /><span>${t.label} (${t.id})</span></label>`)}
        </fieldset>
        <fieldset>
          <legend>Granted folders</legend>
          ${folders.length === 0 && html`<p class="hint">No folder in the documents root yet.</p>`}
          ${folders.map((f) => html`
            <label class="choice"><input type="checkbox" checked=${form.paths.includes(f.path)}
              onChange=${() => toggle('paths', f.path)} /><span>${f.name} <span class="meta">${f.path}</span></span></label>`)}
        </fieldset>
        ${groups ? html`
          <fieldset>
            <legend>Who sees it</legend>
            <label class="choice"><input type="radio" name=${id('visibility')} checked=${form.visibility === 'all'}
              onChange=${() => set('visibility')('all')} /><span>Everyone</span></label>
            <label class="choice"><input type="radio" name=${id('visibility')} checked=${form.visibility === 'restricted'}
              onChange=${() => set('visibility')('restricted')} /><span>Admins and the members of these groups</span></label>
          </fieldset>
          ${form.visibility === 'restricted' && html`<${GroupPicker} id=${id('groups')} legend=${`Groups that see ${agent.name}`}
            groups=${groups} chosen=${form.groupIds} onChange=${set('groupIds')} />`}`
        : agent.visibility === 'restricted' && html`<p class="meta">Restricted to groups; without an enterprise licence everyone sees it.</p>`}`}
      <${ErrorLine} error=${error} />
      ${saved && html`<p class="saved" role="status">Saved.</p>`}
      <div class="actions">
        <button type="submit">Save</button>
        ${!agent.isPersonal && html`<button type="button" class="secondary" onClick=${remove}>Delete</button>`}
      </div>
    </form>`;
}

import { imageReference, type ImagePin } from '@flyte-gkp/platform';
import type { PathSegment } from '@flyte-gkp/project-spec';
import type { LintRule } from '../rule.js';
import { clashes, findNodes, lazyDocuments } from '../util.js';

/** The Vault Agent image is set through a pod annotation, not an `image` value. */
const agentImageAnnotation = 'vault.hashicorp.com/agent-image';

/** `repository:tag` of an `image` value: the chart's `{repository, tag}` or a container's string. */
function referenceOf(key: unknown, value: unknown): string | undefined {
  if (key === agentImageAnnotation && typeof value === 'string') return value;
  if (key !== 'image') return undefined;
  if (typeof value === 'string') return value;
  const { repository, tag } = (value ?? {}) as { repository?: unknown; tag?: unknown };
  if (typeof repository !== 'string') return undefined;
  return typeof tag === 'string' && tag !== '' ? `${repository}:${tag}` : repository;
}

const version = (pin: ImagePin) => [pin.tag, pin.digest].filter(Boolean).join('@');

export const imagesPinned: LintRule = {
  id: 'images/pinned',
  description:
    'Every image the rendered output uses is a pin of platform/pins.yaml: ' +
    'an explicit tag or digest, an allowed registry, one version per repository.',
  fix: 'pin the image in platform/pins.yaml with an explicit version tag or a sha256 digest',
  check({ platform: { pins, pinsSource }, rendered }) {
    const at = (...path: string[]) => ({ file: pinsSource.file, ...pinsSource.locate(['images', ...path]) });
    const entries = Object.entries(pins.images);
    const unfixed = entries
      .filter(([, pin]) => pin.tag === 'latest' || (!pin.tag && !pin.digest))
      .map(([name, pin]) => ({
        // A missing tag has no line of its own: point at the pin.
        ...(pin.tag === undefined
          ? { file: pinsSource.file, ...pinsSource.locate(['images', name], 'key') }
          : at(name, 'tag')),
        message:
          `the image ${name} has ${pin.tag === 'latest' ? 'the tag latest' : 'no tag and no digest'}: ` +
          'every deployment could run a different image',
        fix: `set images.${name}.tag to a version (e.g. the release's own) or add a sha256 digest`,
      }));
    const registries = entries
      .filter(([, pin]) => !pins.allowedRegistries.some((r) => pin.repository.startsWith(r)))
      .map(([name, pin]) => ({
        ...at(name, 'repository'),
        message: `the image ${name} comes from ${pin.repository}, outside the allowed registries`,
        fix: `use an image under ${pins.allowedRegistries.join(', ')}`,
      }));
    // The same image pinned twice: one pin gets updated, the other silently does not.
    const twice = clashes(entries, ([, pin]) => pin.repository)
      .filter(({ item: [, pin], others }) => others.some(([, other]) => version(other) !== version(pin)))
      .map(({ item: [name, pin], others }) => ({
        ...at(name, pin.tag === undefined ? 'digest' : 'tag'),
        message:
          `${pin.repository} is pinned as ${version(pin) || 'untagged'} here ` +
          `and differently in ${others.map(([other]) => `images.${other}`).join(', ')}`,
        fix: 'pin each repository once, and use that one pin everywhere',
      }));
    const pinned = new Set(entries.map(([, pin]) => imageReference(pin)));
    // An `image` key, or the agent's annotation, is written with the word in the text, quoted or not: a file
    // without it holds no image, and its objects need no walk (most project files hold none).
    const unpinned = [...rendered.values()].flat().flatMap((file) => {
      if (!file.content.includes('image')) return [];
      const documents = lazyDocuments(file);
      const isUnpinned = (value: unknown, path: readonly PathSegment[]) => {
        const reference = referenceOf(path.at(-1), value);
        return reference !== undefined && !pinned.has(reference);
      };
      return file.objects.flatMap((object, index) =>
        findNodes(object, isUnpinned).map(({ value, path }) => ({
          file: file.path,
          ...documents()[index].locate(path),
          message: `the image ${referenceOf(path.at(-1), value)} is not a pin of ${pinsSource.file}`,
          fix: `render only images pinned in ${pinsSource.file}: the renderer or a platform input adds this one`,
        })),
      );
    });
    return [...unfixed, ...registries, ...twice, ...unpinned];
  },
};

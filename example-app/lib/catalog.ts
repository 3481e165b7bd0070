/** One item the shop sells. Prices are in cents, so totals add up exactly. */
export interface Product {
  id: string;
  name: string;
  price: number;
  description: string;
  /** Shown above the name on cards. */
  category: string;
  /** The swatch colour of the product's picture. */
  color: string;
}

/** The whole catalogue: six fixed products, so the demo needs no database of its own. */
export const products: readonly Product[] = [
  {
    id: 'trail-bottle',
    name: 'Trail Bottle',
    price: 2400,
    description:
      'A 750 ml double-walled steel bottle that keeps water cold through a long day on the ' +
      'trail, with a loop cap that clips onto any pack strap.',
    category: 'Hydration',
    color: '#2f7d6d',
  },
  {
    id: 'ridge-daypack',
    name: 'Ridge Daypack 22L',
    price: 8900,
    description:
      'A light 22-litre pack with a ventilated back panel, a hip belt that carries the load, ' +
      'and a sleeve for a hydration bladder.',
    category: 'Packs',
    color: '#a0522d',
  },
  {
    id: 'summit-shell',
    name: 'Summit Rain Shell',
    price: 14900,
    description:
      'A three-layer waterproof jacket that packs into its own pocket. Pit zips let the heat ' +
      'out on the climb; the hood fits over a helmet.',
    category: 'Clothing',
    color: '#3b5b92',
  },
  {
    id: 'switchback-poles',
    name: 'Switchback Trekking Poles',
    price: 6400,
    description:
      'A pair of aluminium poles with cork grips and flick locks. They fold to 38 cm and take ' +
      'the strain off your knees on the way down.',
    category: 'Poles',
    color: '#6b6b2f',
  },
  {
    id: 'ember-mug',
    name: 'Ember Camp Mug',
    price: 1800,
    description:
      'A 350 ml titanium mug that goes straight on the stove. Folding handles, a lid that ' +
      'doubles as a strainer, and it weighs just 62 g.',
    category: 'Camp kitchen',
    color: '#b5542b',
  },
  {
    id: 'lumen-headlamp',
    name: 'Lumen Headlamp',
    price: 3900,
    description:
      'A 400-lumen headlamp with a red night mode and a USB-C battery that lasts three nights ' +
      'of camp chores on the medium setting.',
    category: 'Lighting',
    color: '#4a4a58',
  },
];

/** The product with this id, or `undefined` for an id the shop does not sell. */
export function findProduct(id: string): Product | undefined {
  return products.find((product) => product.id === id);
}

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** A price in cents as the shop shows it, such as `$24.00`. */
export function formatPrice(cents: number): string {
  return dollars.format(cents / 100);
}

'use server';

import { revalidatePath } from 'next/cache';
import { getSession } from '@/lib/session';

export async function countVisit(): Promise<void> {
  const session = await getSession();
  const visits = (await session.get('visits')) ?? 0;
  await session.set('visits', visits + 1);
  await session.set('lastVisit', new Date().toISOString());
  await session.flash('notice', `Counted visit ${visits + 1}.`);
  revalidatePath('/');
}

export async function forget(): Promise<void> {
  const session = await getSession();
  await session.destroy();
  revalidatePath('/');
}
